import { accord } from '../api/accord';
import { ErrorNotice } from '../components/error-notice';
import { formatTime } from '../format';
import { paths } from '../paths';
import { useLoad } from '../use-load';

export function DefinitionsPage() {
  const definitions = useLoad(() => accord.definitions(), []);
  return (
    <section aria-labelledby="definitions-title">
      <h1 id="definitions-title">Definitions</h1>
      <ErrorNotice error={definitions.error} />
      {definitions.data && definitions.data.length === 0 && <p class="empty">No definition is registered yet.</p>}
      {definitions.data && definitions.data.length > 0 && (
        <table class="list">
          <caption class="visually-hidden">Definitions, latest version of each</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">Latest version</th>
              <th scope="col">Steps</th>
              <th scope="col">Registered</th>
            </tr>
          </thead>
          <tbody>
            {definitions.data.map((d) => (
              <tr key={d.name}>
                <td data-label="Name">
                  <a href={paths.definition(d.name)}>{d.name}</a>
                </td>
                <td data-label="Type">{d.type}</td>
                <td data-label="Latest version">v{d.version}</td>
                <td data-label="Steps">{d.steps.length}</td>
                <td data-label="Registered">{formatTime(d.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
