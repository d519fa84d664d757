import { dependenciesOf, type DefinitionView } from '@accord/contracts';
import { useState } from 'preact/hooks';
import { accord } from '../api/accord';
import { ErrorNotice } from '../components/error-notice';
import { JsonView } from '../components/json-view';
import { StepGraph } from '../components/step-graph';
import { formatTime } from '../format';
import { paths } from '../paths';
import { useLoad } from '../use-load';

/** A definition's versions, newest first, each drawn as its graph. */
export function DefinitionPage({ name }: { name: string }) {
  const first = useLoad(() => accord.versions(name), [name]);
  const [older, setOlder] = useState<DefinitionView[]>([]);
  const [olderError, setOlderError] = useState<Error>();
  const versions = [...(first.data ?? []), ...older];
  const oldest = versions[versions.length - 1];

  const loadOlder = () =>
    accord.versions(name, oldest.version).then(
      (more) => setOlder((have) => [...have, ...more]),
      (error: Error) => setOlderError(error),
    );

  return (
    <section aria-labelledby="definition-title">
      <p class="crumbs">
        <a href={paths.definitions()}>Definitions</a> /
      </p>
      <h1 id="definition-title">{name}</h1>
      <p>
        <a href={paths.transactions({ definition: name })}>Its transactions</a>
      </p>
      <ErrorNotice error={first.error ?? olderError} />
      {versions.map((d, i) => (
        <details key={d.version} class="version" open={i === 0}>
          <summary>
            Version {d.version} <span class="hint">· {d.type} · {d.steps.length} steps · registered {formatTime(d.createdAt)}</span>
          </summary>
          {d.description && <p>{d.description}</p>}
          <StepGraph
            steps={d.steps.map((s, index) => ({ name: s.name, dependsOn: dependenciesOf(d.steps, index) }))}
            label={`Steps of ${d.name} version ${d.version} as a graph`}
          />
          <h3>As registered</h3>
          <p class="hint">Endpoint headers and URL credentials are write-only: shown as ***.</p>
          <JsonView value={d} label={`${d.name} version ${d.version} as registered`} />
        </details>
      ))}
      {oldest && oldest.version > 1 && (
        <button type="button" onClick={() => void loadOlder()}>
          Older versions
        </button>
      )}
    </section>
  );
}
