import { cut } from './conformance-client';
import type { ConformanceReport, ConformanceResult } from './conformance.types';

const HEADINGS = ['hazard', 'step/phase → endpoint', 'expected', 'observed', 'result'] as const;
const WIDTHS = [38, 40, 26, 46, 6] as const;

/** The plain-text pass/fail table of one report. */
export function formatReport(report: ConformanceReport): string {
  const lines = [`accord-conformance: ${report.target} (${report.mode}; endpoints at ${originsOf(report).join(', ') || 'none'})`];
  const cells = (values: readonly string[]) =>
    values.map((v, i) => cut(v, WIDTHS[i]).padEnd(WIDTHS[i])).join(' | ').trimEnd();
  lines.push(cells(HEADINGS));
  lines.push(WIDTHS.map((w) => '-'.repeat(w)).join('-+-'));
  for (const r of report.results) lines.push(cells(rowOf(r)));
  const { pass, fail, skip } = report.summary;
  lines.push(`${pass} passed, ${fail} failed, ${skip} skipped: ${report.ok ? 'CONFORMS' : 'DOES NOT CONFORM'}`);
  return lines.join('\n');
}

function rowOf(r: ConformanceResult): string[] {
  return [r.title, `${r.step}/${r.phase} ${shortEndpoint(r.endpoint)}`, r.expected, r.observed, r.outcome.toUpperCase()];
}

/** `POST http://host:1/a/b` → `/a/b` (the origins are listed above the table). */
function shortEndpoint(endpoint: string): string {
  const space = endpoint.indexOf(' ');
  const [method, url] = space > 0 && /^[A-Z]+$/.test(endpoint.slice(0, space)) ? [endpoint.slice(0, space), endpoint.slice(space + 1)] : ['POST', endpoint];
  const path = originAndPath(url)?.path ?? url;
  return method === 'POST' ? path : `${method} ${path}`;
}

function originAndPath(url: string): { origin: string; path: string } | undefined {
  try {
    const parsed = new URL(url);
    return { origin: parsed.origin, path: decodeURI(parsed.pathname) + parsed.search };
  } catch {
    return undefined;
  }
}

function originsOf(report: ConformanceReport): string[] {
  const origins = new Set<string>();
  for (const r of report.results) {
    const origin = originAndPath(r.endpoint.replace(/^[A-Z]+ /, ''))?.origin;
    if (origin) origins.add(origin);
  }
  return [...origins];
}
