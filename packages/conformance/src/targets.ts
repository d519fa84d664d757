import { readFile } from 'node:fs/promises';
import { DefinitionSchema, SpecSchema, type Endpoint, type Spec } from '@accord/contracts';
import { describeAnswer, type Answer, type ConformanceClient } from './conformance-client';
import type { ConformanceEndpoint, ConformanceResult, ConformanceStep } from './conformance.types';

export interface ResolvedTarget {
  label: string;
  mode: 'base-url' | 'definition';
  steps: ConformanceStep[];
  /** Rows decided while resolving: skipped endpoint groups, an unreachable base URL. */
  rows: ConformanceResult[];
}

/** A definition or inline spec (a definition body without `name`), as parsed JSON. */
export type DefinitionLike = Record<string, unknown>;

export function isBaseUrl(target: string): boolean {
  return /^https?:\/\//i.test(target);
}

/** Reads and validates a definition file (as registered with Accord). */
export async function loadDefinitionFile(path: string): Promise<DefinitionLike> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text) as DefinitionLike;
  } catch (error) {
    throw new Error(`${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The steps of a definition: every HTTP endpoint is exercised with the
 * step's name and `input` template, exactly as the coordinator would call it. */
export function stepsOfDefinition(json: DefinitionLike, label: string): ConformanceStep[] {
  const parsed = 'name' in json ? DefinitionSchema.safeParse(json) : SpecSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${label} is not a valid Accord definition: ${issues}`);
  }
  const spec: Spec = parsed.data;
  if (spec.type === 'saga') {
    return spec.steps.map((s) => {
      const unsupported = unsupportedOf([s.action, s.compensation]);
      return {
        type: 'saga',
        name: s.name,
        inputTemplate: s.input,
        action: httpOf(s.action),
        compensation: s.compensation ? httpOf(s.compensation) : undefined,
        ...(unsupported ? { unsupported } : {}),
      };
    });
  }
  return spec.steps.map((s) => {
    const unsupported = unsupportedOf([s.try, s.confirm, s.cancel]);
    return {
      type: 'tcc',
      name: s.name,
      inputTemplate: s.input,
      try: httpOf(s.try),
      confirm: httpOf(s.confirm),
      cancel: httpOf(s.cancel),
      ...(unsupported ? { unsupported } : {}),
    };
  });
}

const SAGA_PATHS = ['action', 'compensation'] as const;
const TCC_PATHS = ['try', 'confirm', 'cancel'] as const;

/** Conventional paths under a base URL: `<base>/action` + `<base>/compensation`
 * (saga) and `<base>/try`, `/confirm`, `/cancel` (TCC). Each is probed with a
 * signed non-call (`{}`); a group whose every path answers 404/405 is skipped. */
export async function stepsOfBaseUrl(client: ConformanceClient, base: string, stepName: string): Promise<ResolvedTarget> {
  const root = base.replace(/\/+$/, '');
  const endpoint = (path: string): ConformanceEndpoint => ({ url: `${root}/${path}` });
  const paths = [...SAGA_PATHS, ...TCC_PATHS];
  const probes = new Map<string, Answer>(
    await Promise.all(paths.map(async (p) => [p, await client.probe(endpoint(p))] as const)),
  );
  const rows: ConformanceResult[] = [];
  const unreachable = [...probes.entries()].find(([, a]) => a.status === null);
  if (unreachable) {
    rows.push(row(stepName, 'action', endpoint(unreachable[0]).url, 'reachable', 'the base URL answers', describeAnswer(unreachable[1]), 'fail'));
    return { label: root, mode: 'base-url', steps: [], rows };
  }
  const present = (p: string) => ![404, 405].includes(probes.get(p)!.status!);
  const steps: ConformanceStep[] = [];
  if (SAGA_PATHS.some(present)) {
    steps.push({
      type: 'saga',
      name: stepName,
      action: endpoint('action'),
      compensation: present('compensation') ? endpoint('compensation') : undefined,
    });
  } else {
    rows.push(row(stepName, 'action', `${root}/{action,compensation}`, 'endpoints', 'saga endpoints (action, compensation)', '404/405: no saga endpoints', 'skip'));
  }
  if (TCC_PATHS.some(present)) {
    steps.push({ type: 'tcc', name: stepName, try: endpoint('try'), confirm: endpoint('confirm'), cancel: endpoint('cancel') });
  } else {
    rows.push(row(stepName, 'try', `${root}/{try,confirm,cancel}`, 'endpoints', 'TCC endpoints (try, confirm, cancel)', '404/405: no TCC endpoints', 'skip'));
  }
  if (steps.length === 0) {
    rows.push(row(stepName, 'action', root, 'endpoints', 'any participant endpoint', 'every conventional path answered 404/405', 'fail'));
  }
  return { label: root, mode: 'base-url', steps, rows };
}

function row(
  step: string,
  phase: ConformanceResult['phase'],
  endpoint: string,
  hazard: string,
  title: string,
  observed: string,
  outcome: ConformanceResult['outcome'],
): ConformanceResult {
  const expected = hazard === 'reachable' ? 'an HTTP answer' : 'not 404/405';
  return { hazard, title, step, phase, endpoint, expected, observed, outcome };
}

function httpOf(endpoint: Endpoint): ConformanceEndpoint {
  return 'url' in endpoint ? { url: endpoint.url, method: endpoint.method, headers: endpoint.headers, timeoutMs: endpoint.timeoutMs } : { url: '' };
}

function unsupportedOf(endpoints: Array<Endpoint | undefined>): string | undefined {
  const message = endpoints.find((e): e is Exclude<Endpoint, { url: string }> => e !== undefined && !('url' in e));
  return message ? `${message.transport} endpoint: only HTTP is checked` : undefined;
}
