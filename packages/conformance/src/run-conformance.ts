import { ConformanceClient } from './conformance-client';
import type { ConformanceOptions, ConformanceReport, ConformanceResult } from './conformance.types';
import { checkStep } from './hazards';
import { isBaseUrl, loadDefinitionFile, stepsOfBaseUrl, stepsOfDefinition, type DefinitionLike, type ResolvedTarget } from './targets';

/** What to check: a participant's base URL (`http://host:port/prefix`), the
 * path of a definition file, or a parsed definition / inline spec. */
export type ConformanceTarget = string | DefinitionLike;

const DEFAULTS = { input: {}, step: 'conformance', concurrency: 10, timeoutMs: 10_000 };

/**
 * Drives a participant's endpoints through the at-least-once hazards —
 * duplicates, concurrent duplicates, undo before do, do after undo, confirm
 * twice, and (with a secret) unsigned or badly signed calls — and reports
 * one row per check. Never throws for a misbehaving participant (that is a
 * failed row); throws for an unusable target (unreadable or invalid file).
 */
export async function runConformance(target: ConformanceTarget, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const settings = { ...DEFAULTS, ...definedOnly(options) };
  if (!Number.isInteger(settings.concurrency) || settings.concurrency < 2) throw new Error('concurrency must be an integer ≥ 2');
  const client = new ConformanceClient({
    secret: options.secret,
    input: settings.input,
    timeoutMs: settings.timeoutMs,
    now: options.now ?? Date.now,
  });
  try {
    const resolved = await resolve(client, target, settings.step);
    const results: ConformanceResult[] = [...resolved.rows];
    for (const step of resolved.steps) results.push(...(await checkStep(client, step, settings)));
    return reportOf(resolved, results);
  } finally {
    await client.close();
  }
}

async function resolve(client: ConformanceClient, target: ConformanceTarget, step: string): Promise<ResolvedTarget> {
  if (typeof target === 'string' && isBaseUrl(target)) return stepsOfBaseUrl(client, target, step);
  if (typeof target === 'string') {
    const json = await loadDefinitionFile(target);
    return { label: target, mode: 'definition', steps: stepsOfDefinition(json, target), rows: [] };
  }
  const label = typeof target.name === 'string' ? `definition ${target.name}` : 'inline spec';
  return { label, mode: 'definition', steps: stepsOfDefinition(target, label), rows: [] };
}

function reportOf(resolved: ResolvedTarget, results: ConformanceResult[]): ConformanceReport {
  const count = (outcome: ConformanceResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const summary = { pass: count('pass'), fail: count('fail'), skip: count('skip') };
  return { target: resolved.label, mode: resolved.mode, results, summary, ok: summary.fail === 0 && summary.pass > 0 };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
