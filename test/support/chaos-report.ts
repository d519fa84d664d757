/**
 * The chaos suite's scale knob and its report.
 *
 * ACCORD_CHAOS=full (what `npm run chaos` sets) runs every scenario at full
 * size (thousands of transfers, more faults); unset, the short version that
 * `npm test` runs. Each scenario records one line (transactions run, faults
 * injected, time to converge, invariant violations) into
 * `.accord/chaos-report.d/<run id>/`, one file per scenario because jest runs
 * the test files in several workers (and another jest run may share the
 * checkout); the services project's global teardown gathers them into
 * `.accord/chaos-report.json` and prints them as one table.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CHAOS_FULL = process.env.ACCORD_CHAOS === 'full';

/** The short figure in `npm test`, the full one in `npm run chaos`. */
export const scaled = <T>(short: T, full: T): T => (CHAOS_FULL ? full : short);

export interface ScenarioReport {
  scenario: string;
  /** Transactions started (each to be checked against the invariant). */
  transactions: number;
  /** Faults injected: kills, restarts, flushes, failed or late calls, hostile sockets. */
  faults: number;
  /** What the faults were, in a few words. */
  faultDetail: string;
  /** From the last fault (or the last start) until every transaction had settled. */
  convergeMs: number;
  /** Invariant violations as readable lines: must be empty. */
  violations: string[];
}

export interface ChaosReport {
  scale: 'short' | 'full';
  finishedAt: string;
  scenarios: ScenarioReport[];
}

const STATE_DIR = resolve(__dirname, '..', '..', '.accord');
export const REPORT_FILE = join(STATE_DIR, 'chaos-report.json');

/** This run's parts, apart from those of another jest run in the same checkout. */
const partsDir = (): string => join(STATE_DIR, 'chaos-report.d', process.env.ACCORD_TEST_RUN ?? 'local');

/** Forgets the parts of an earlier run with this run id (global setup, once the id is chosen). */
export function clearChaosReport(): void {
  rmSync(partsDir(), { recursive: true, force: true });
}

export function recordScenario(report: ScenarioReport): void {
  mkdirSync(partsDir(), { recursive: true });
  const file = report.scenario.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  writeFileSync(join(partsDir(), `${file}.json`), JSON.stringify(report, null, 2));
}

/** Gathers this run's parts into the report file and answers the table, or null when no scenario ran. */
export function writeChaosReport(): string | null {
  const dir = partsDir();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return null;
  }
  const scenarios = names.map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as ScenarioReport);
  rmSync(dir, { recursive: true, force: true });
  if (scenarios.length === 0) return null;
  const report: ChaosReport = { scale: CHAOS_FULL ? 'full' : 'short', finishedAt: new Date().toISOString(), scenarios };
  writeFileSync(REPORT_FILE, JSON.stringify(report, null, 2));
  return formatTable(report);
}

export function formatTable(report: ChaosReport): string {
  const rows = [
    ['scenario', 'transactions', 'faults', 'converged (ms)', 'violations', 'what was injected'],
    ...report.scenarios.map((s) => [s.scenario, String(s.transactions), String(s.faults), String(s.convergeMs), String(s.violations.length), s.faultDetail]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= 1 && c <= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [
    `chaos report (${report.scale}; written to .accord/chaos-report.json):`,
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}
