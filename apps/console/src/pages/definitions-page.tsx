import { accord } from '../api/accord';
import { ErrorNotice } from '../components/error-notice';
import { ListTable } from '../components/list-table';
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
        <ListTable caption="Definitions, latest version of each" columns={['Name', 'Type', 'Latest version', 'Steps', 'Registered']}>
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
        </ListTable>
      )}
    </section>
  );
}
