import { callTimeoutMs, type CallCommand, type Plan, type StepState } from '@accord/core';
import type { StepWrite } from '@accord/persistence';

/**
 * Every field of a step, from a Record over its keys, so a field added to
 * StepState fails to compile until it is listed here. The machine's draft
 * copies each step and replaces, never mutates, an input or output: so one
 * comparison per field, by value for scalars and by reference for those two,
 * tells what changed without serialising every step twice per transition (a
 * new but equal output only costs a write).
 */
const FIELDS = Object.keys({
  name: 1, status: 1, phase: 1, attempt: 1, attemptBase: 1, dueAt: 1, mayHaveApplied: 1, input: 1, output: 1, lastError: 1,
} satisfies Record<keyof StepState, 1>) as Array<keyof StepState>;

const changed = (before: StepState | undefined, after: StepState): boolean =>
  !before || FIELDS.some((field) => before[field] !== after[field]);

/** Steps whose state changed, each with the lease its owed call needs. A
 * step whose new call is among `commands` and due at once is pre-claimed:
 * never a call it already owed, which a worker may be making. */
export function stepWrites(
  plan: Plan,
  before: readonly StepState[],
  after: readonly StepState[],
  commands: readonly CallCommand[],
  leaseMarginMs: number,
  now = Date.now(),
): StepWrite[] {
  const old = new Map(before.map((s) => [s.name, s]));
  const dueNow = callsDueBy(commands, now);
  return after
    .filter((s) => changed(old.get(s.name), s))
    .map((s) => {
      const b = old.get(s.name);
      const newCall = !b || b.phase !== s.phase || b.attempt !== s.attempt;
      return withLease(plan, s, leaseMarginMs, newCall && dueNow.has(stepCall(s)));
    });
}

function withLease(plan: Plan, step: StepState, leaseMarginMs: number, preclaim: boolean): StepWrite {
  const endpoint = step.phase ? plan.steps.find((p) => p.name === step.name)?.endpoints[step.phase] : undefined;
  return { ...step, leaseMs: endpoint ? callTimeoutMs(endpoint) + leaseMarginMs : leaseMarginMs, preclaim: preclaim && step.phase !== null };
}

const callOf = (step: string, phase: string | null, attempt: number) => `${step}/${phase}/${attempt}`;
const stepCall = (s: StepState) => callOf(s.name, s.phase, s.attempt);

function callsDueBy(commands: readonly CallCommand[], now: number): Set<string> {
  return new Set(commands.filter((c) => c.dueAt <= now).map((c) => callOf(c.step, c.phase, c.attempt)));
}
