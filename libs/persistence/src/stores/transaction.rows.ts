import { stepRecord, type NewTransaction, type StepWrite, type Transition, type TransactionRecord } from './transaction.record';
import { toIso } from '../util/time';
import type { TransitionRow } from './transition.sql';

/** Rows to and from the transition statements. */

/** The transaction `insert` wrote, as `load` would read it back. */
export function insertedRecord(tx: NewTransaction, createdAt: Date | string): TransactionRecord {
  const at = new Date(createdAt).toISOString();
  return {
    id: tx.id,
    definitionName: tx.definitionName,
    definitionVersion: tx.definitionVersion,
    spec: tx.spec,
    type: tx.type,
    status: tx.status,
    direction: tx.direction,
    pivotPassed: false,
    input: tx.input ?? null,
    deadlineAt: tx.deadlineAt,
    rollbackReason: null,
    stuckReason: null,
    version: 0,
    traceparent: tx.traceparent,
    tracestate: tx.tracestate,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    steps: tx.steps.map((s) => stepRecord(s, s.preclaim ? 1 : 0, s.preclaim ? Date.parse(at) + s.leaseMs : null, s.preclaim, at)),
  };
}

export function stepJson(s: StepWrite): Record<string, unknown> {
  return {
    name: s.name,
    status: s.status,
    phase: s.phase,
    attempt: s.attempt,
    attempt_base: s.attemptBase,
    due_at: toIso(s.dueAt),
    lease_ms: s.leaseMs,
    may_have_applied: s.mayHaveApplied,
    input: s.input ?? null,
    output: s.output ?? null,
    last_error: s.lastError,
    preclaim: s.preclaim,
  };
}

/** One transition as a request row of the commit statement (TRANSITION_FIELDS). */
export function transitionRequest(t: Transition): TransitionRow {
  const a = t.attempt;
  return {
    id: t.id, expected: t.expectedVersion, status: t.status, direction: t.direction, pivot_passed: t.pivotPassed,
    finished: t.finished, notify: t.notify, rollback_reason: t.rollbackReason, stuck_reason: t.stuckReason,
    input_changed: t.newInput !== null, new_input: t.newInput?.value ?? null,
    steps: t.steps.map(stepJson), a_step: a?.step ?? null, a_claim: a?.claim ?? null,
    a_phase: a?.phase ?? null, a_attempt: a?.attempt ?? null, a_started_at: a ? toIso(a.startedAt) : null,
    a_latency_ms: a?.latencyMs ?? null, a_outcome: a?.outcome ?? null, a_status_code: a?.statusCode ?? null,
    a_error: a?.error ?? null, a_request: a ? (a.request ?? null) : null, a_applied: a?.applied ?? null,
    a_budget_exhausted: a?.budgetExhausted ?? null, a_worker: a?.worker ?? null,
  };
}

/** Commit's answer for one applied transition: its time, and the new claim
 * of each step it pre-claimed. */
export interface Committed {
  at: Date | string;
  claims: Record<string, number>;
}

/**
 * The transaction as `t`, decided from `base`, committed as `committed`
 * says, as `load` would read it back (but key order inside JSON values,
 * which jsonb keeps its own way). The commit's version check proves `base`
 * was current, so the only facts the process lacks are the commit's time and
 * the claims it took. A step's lease survives only while it owes the same
 * call, as the statement writes it. Claims do not move the version: a step
 * claimed since `base` keeps `base`'s claim and lease here, which only the
 * sweeper and the claim itself read, from the table.
 */
export function committedRecord(base: TransactionRecord, t: Transition, committed: Committed): TransactionRecord {
  const when = new Date(committed.at).toISOString();
  const writes = new Map(t.steps.map((w) => [w.name, w]));
  return {
    ...base,
    status: t.status,
    direction: t.direction,
    pivotPassed: t.pivotPassed,
    rollbackReason: t.rollbackReason,
    stuckReason: t.stuckReason,
    input: t.newInput ? t.newInput.value : base.input,
    version: base.version + 1,
    updatedAt: when,
    finishedAt: t.finished ? when : null,
    steps: base.steps.map((step) => {
      const w = writes.get(step.name);
      if (!w) return step;
      if (w.preclaim) return stepRecord(w, committed.claims[step.name], Date.parse(when) + w.leaseMs, true, when);
      const sameCall = step.phase === w.phase && step.attempt === w.attempt;
      return stepRecord(w, step.claim, sameCall ? step.leaseUntil : null, sameCall && step.preclaimed, when);
    }),
  };
}
