import { callTimeoutMs, type Plan, type StepState } from '@accord/core';
import type { StepWrite } from '@accord/persistence';

/** Steps whose state changed, each with the lease its owed call needs. */
export function stepWrites(plan: Plan, before: readonly StepState[], after: readonly StepState[], leaseMarginMs: number): StepWrite[] {
  const old = new Map(before.map((s) => [s.name, JSON.stringify(s)]));
  return after.filter((s) => old.get(s.name) !== JSON.stringify(s)).map((s) => withLease(plan, s, leaseMarginMs));
}

export function withLease(plan: Plan, step: StepState, leaseMarginMs: number): StepWrite {
  const endpoint = step.phase ? plan.steps.find((p) => p.name === step.name)?.endpoints[step.phase] : undefined;
  return { ...step, leaseMs: endpoint ? callTimeoutMs(endpoint) + leaseMarginMs : leaseMarginMs };
}
