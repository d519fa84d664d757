import type { z } from 'zod';
import { collectRefs, DefinitionSchema, dependenciesOf, SpecSchema, type Spec } from '@accord/contracts';
import { resolveRetry } from '../retry/retry.policy';
import { DEFAULT_MAX_PARALLEL, type Plan, type PlannedStep } from './plan';

export interface ValidationIssue {
  path: string;
  message: string;
}

export type Compiled<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/** Validates a definition body (with `name`) and returns it with its plan. */
export function compileDefinition(body: unknown): Compiled<{ name: string; spec: Spec; plan: Plan }> {
  const parsed = DefinitionSchema.safeParse(body);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const { name, ...spec } = parsed.data;
  const planned = planSpec(spec);
  return planned.ok ? { ok: true, value: { name, spec, plan: planned.value } } : planned;
}

/** Validates an inline spec (a definition body without `name`). */
export function compileSpec(body: unknown): Compiled<{ spec: Spec; plan: Plan }> {
  const parsed = SpecSchema.safeParse(body);
  if (!parsed.success) return { ok: false, issues: zodIssues(parsed.error) };
  const planned = planSpec(parsed.data);
  return planned.ok ? { ok: true, value: { spec: parsed.data, plan: planned.value } } : planned;
}

/** Builds the plan of a spec that already passed the schema. Also used to
 * rebuild plans from stored specs. */
export function planSpec(spec: Spec): Compiled<Plan> {
  const issues: ValidationIssue[] = [];
  const index = new Map<string, number>();
  spec.steps.forEach((step, i) => {
    if (index.has(step.name)) issues.push({ path: `steps[${i}].name`, message: `duplicate step name "${step.name}"` });
    else index.set(step.name, i);
  });

  const steps: PlannedStep[] = spec.steps.map((step, i) => {
    const deps = dependenciesOf(spec.steps, i);
    deps.forEach((dep, j) => {
      if (!index.has(dep)) issues.push({ path: `steps[${i}].dependsOn[${j}]`, message: `unknown step "${dep}"` });
      else if (dep === step.name) issues.push({ path: `steps[${i}].dependsOn[${j}]`, message: 'a step cannot depend on itself' });
    });
    if (new Set(deps).size !== deps.length) issues.push({ path: `steps[${i}].dependsOn`, message: 'duplicate dependency' });
    const endpoints =
      'action' in step
        ? { action: step.action, ...(step.compensation ? { compensation: step.compensation } : {}) }
        : { try: step.try, confirm: step.confirm, cancel: step.cancel };
    return {
      name: step.name,
      deps: [...new Set(deps)],
      dependents: [],
      input: step.input,
      retry: resolveRetry(spec.retry, step.retry),
      pivot: 'pivot' in step ? step.pivot === true : false,
      endpoints,
    };
  });
  if (issues.length > 0) return { ok: false, issues };

  const cycle = findCycle(steps);
  if (cycle) return { ok: false, issues: [{ path: 'steps', message: `dependency cycle: ${cycle.join(' -> ')}` }] };

  const byName = new Map(steps.map((s) => [s.name, s]));
  steps.forEach((step, i) => {
    const ancestors = ancestorsOf(step.name, byName);
    for (const ancestor of ancestors) byName.get(ancestor)!.dependents.push(step.name);
    const { refs, errors } = collectRefs(step.input, `steps[${i}].input`);
    issues.push(...errors);
    for (const ref of refs) {
      if (ref.step === undefined) continue;
      if (!index.has(ref.step)) issues.push({ path: `steps[${i}].input`, message: `template reads unknown step "${ref.step}"` });
      else if (!ancestors.has(ref.step)) {
        issues.push({ path: `steps[${i}].input`, message: `template reads step "${ref.step}", which "${step.name}" does not depend on` });
      }
    }
  });
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: { type: spec.type, timeoutMs: spec.timeoutMs ?? null, maxParallel: spec.maxParallel ?? DEFAULT_MAX_PARALLEL, steps },
  };
}

function findCycle(steps: PlannedStep[]): string[] | null {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of byName.get(name)?.deps ?? []) {
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const step of steps) {
    const found = visit(step.name);
    if (found) return found;
  }
  return null;
}

function ancestorsOf(name: string, byName: ReadonlyMap<string, PlannedStep>): Set<string> {
  const seen = new Set<string>();
  const todo = [...(byName.get(name)?.deps ?? [])];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    todo.push(...(byName.get(next)?.deps ?? []));
  }
  return seen;
}

function zodIssues(error: z.ZodError): ValidationIssue[] {
  return flattenIssues(error.issues, []).map((issue) => ({
    path: issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join(''),
    message: issue.message,
  }));
}

/** A failed union (an endpoint that is neither a valid HTTP nor a valid
 * message endpoint) is reported through the branch that came closest
 * ({@link distance}), so the
 * caller sees e.g. `action.method` instead of a bare "Invalid input"; a bad
 * record key by its own message instead of "Invalid key in record". */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_key') return flattenIssues(issue.issues, path);
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const closest = issue.errors.reduce((best, branch) => (distance(branch) < distance(best) ? branch : best));
      if (closest.length > 0) return flattenIssues(closest, path);
    }
    return [{ path, message: issue.message }];
  });
}

/** How far a union branch is from the input: its number of issues, but a
 * branch whose discriminator does not match (a message endpoint for a body
 * without `transport`) is farther than any other. */
function distance(branch: readonly z.core.$ZodIssue[]): number {
  const missed = branch.some((issue) => issue.code === 'invalid_union' && issue.errors.length === 0 && 'discriminator' in issue);
  return missed ? Infinity : branch.length;
}
