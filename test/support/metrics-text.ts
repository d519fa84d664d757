/** Reads the Prometheus text format /metrics answers, for the tests. */

export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Samples {
  series: Series[];
  /** Every metric family named by a `# TYPE` line, with its type. */
  families: Map<string, string>;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Samples {
  const series: Series[] = [];
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1], type[2]);
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (!match) throw new Error(`not a metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    series.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return { series, families };
}

/** The sum of the series named `name` whose labels include `labels` (0 when there is none). */
export function sample(samples: Samples, name: string, labels: Record<string, string>): number {
  return samples.series
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
