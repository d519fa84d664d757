import { layoutGraph, NODE, type GraphStep } from '../graph/layout';

export interface DrawnStep extends GraphStep {
  /** Step status, for a transaction; absent for a definition. */
  status?: string;
}

const MAX_LABEL = 20;
/** Wider than this (four steps side by side), the graph scrolls rather than shrinks. */
const SHRINKS_UP_TO = 4 * (NODE.width + NODE.gapX);
const clip = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

/**
 * The steps as a graph: an arrow from each step to every step that waits for
 * it, each step coloured by its status. Each step links to its row in the
 * steps table (`#step-<name>`) when `linkSteps` is set.
 */
export function StepGraph({ steps, label, linkSteps = false }: { steps: DrawnStep[]; label: string; linkSteps?: boolean }) {
  const layout = layoutGraph(steps);
  const byName = new Map(steps.map((s) => [s.name, s]));
  const summary = steps.map((s) => `${s.name}${s.status ? ` ${s.status}` : ''}${s.dependsOn.length ? ` after ${s.dependsOn.join(', ')}` : ''}`).join('; ');
  return (
    <div class={layout.width > SHRINKS_UP_TO ? 'graph graph-wide' : 'graph'}>
      <svg viewBox={`0 0 ${layout.width} ${layout.height}`} width={layout.width} height={layout.height} role="group" aria-label={label}>
        <desc>{summary}</desc>
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {layout.edges.map((e) => (
          <path key={`${e.from}->${e.to}`} d={e.path} class="edge" marker-end="url(#arrow)" />
        ))}
        {layout.steps.map((p) => {
          const step = byName.get(p.name)!;
          const node = (
            <g class={`node${step.status ? ` node-${step.status.toLowerCase()}` : ''}`} transform={`translate(${p.x} ${p.y})`}>
              <title>{step.status ? `${step.name}: ${step.status}` : step.name}</title>
              <rect width={NODE.width} height={NODE.height} rx="8" />
              <text x={NODE.width / 2} y={step.status ? 20 : 29} class="node-name">
                {clip(step.name)}
              </text>
              {step.status && (
                <text x={NODE.width / 2} y={37} class="node-status">
                  {step.status}
                </text>
              )}
            </g>
          );
          return linkSteps ? (
            <a key={p.name} href={`#step-${encodeURIComponent(p.name)}`} aria-label={`${step.name}${step.status ? `, ${step.status}` : ''}`}>
              {node}
            </a>
          ) : (
            <g key={p.name}>{node}</g>
          );
        })}
      </svg>
    </div>
  );
}
