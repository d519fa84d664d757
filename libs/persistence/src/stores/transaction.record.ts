import type { CallRef, Phase, Spec, TransactionStatus, TransactionType } from '@accord/contracts';
import type { Reason, StepState, TransactionState } from '@accord/core';
import { toIso, toMs } from '../util/time';
import type { AuditEntry } from './audit.store';

export interface StepRecord extends StepState {
  claim: number;
  leaseUntil: number | null;
  /** The claim and lease were taken by the statement that scheduled the
   * call, for its job (CarriedClaim); no worker has claimed it since. */
  preclaimed: boolean;
  updatedAt: string;
}

/** A step's state alone (of a record, a row or a write), in one key order. */
function stepState(s: StepState): StepState {
  return {
    name: s.name,
    status: s.status,
    phase: s.phase,
    attempt: s.attempt,
    attemptBase: s.attemptBase,
    dueAt: s.dueAt,
    mayHaveApplied: s.mayHaveApplied,
    input: s.input ?? null,
    output: s.output ?? null,
    lastError: s.lastError,
  };
}

/** A step record from its state and lease. Every record's steps (loaded,
 * inserted, committed) are built here, in one key order: objects of one
 * shape keep the property reads of the hot path monomorphic. */
export function stepRecord(s: StepState, claim: number, leaseUntil: number | null, preclaimed: boolean, updatedAt: string): StepRecord {
  return { ...stepState(s), claim, leaseUntil, preclaimed, updatedAt };
}

/** A transaction row with its steps, as loaded in one round trip. */
export interface TransactionRecord {
  id: string;
  definitionName: string | null;
  definitionVersion: number | null;
  spec: Spec | null;
  type: TransactionType;
  status: TransactionStatus;
  direction: 'forward' | 'backward';
  pivotPassed: boolean;
  input: unknown;
  deadlineAt: number | null;
  rollbackReason: Reason | null;
  stuckReason: Reason | null;
  version: number;
  /** The W3C trace context of the trace it belongs to. */
  traceparent: string | null;
  tracestate: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  steps: StepRecord[];
}

export function toTransactionState(record: TransactionRecord): TransactionState {
  return {
    id: record.id,
    status: record.status,
    direction: record.direction,
    pivotPassed: record.pivotPassed,
    deadlineAt: record.deadlineAt,
    input: record.input,
    rollbackReason: record.rollbackReason,
    stuckReason: record.stuckReason,
    steps: record.steps.map(stepState),
  };
}

/** One participant call, for the attempt log. */
export interface AttemptRecord extends CallRef {
  claim: number;
  startedAt: number;
  latencyMs: number;
  outcome: string;
  statusCode: number | null;
  error: string | null;
  request: unknown;
  applied: boolean;
  /** This call used up its step's retry budget. */
  budgetExhausted: boolean;
  worker: string;
}


interface StepRow {
  name: string;
  status: string;
  phase: string | null;
  attempt: number;
  attempt_base: number;
  due_at: string | null;
  lease_until: string | null;
  claim: number;
  preclaimed: boolean;
  may_have_applied: boolean;
  input: unknown;
  output: unknown;
  last_error: string | null;
  updated_at: string;
}

export function mapTransactionRow(row: Record<string, unknown>): TransactionRecord {
  const steps = (row.steps as StepRow[] | null) ?? [];
  return {
    id: row.id as string,
    definitionName: row.definition_name as string | null,
    definitionVersion: row.definition_version as number | null,
    spec: row.spec as Spec | null,
    type: row.type as TransactionType,
    // only the machines write it
    status: row.status as TransactionStatus,
    direction: row.direction as 'forward' | 'backward',
    pivotPassed: row.pivot_passed as boolean,
    input: row.input,
    deadlineAt: toMs(row.deadline_at as string | null),
    rollbackReason: (row.rollback_reason as Reason | null) ?? null,
    stuckReason: (row.stuck_reason as Reason | null) ?? null,
    version: row.version as number,
    traceparent: row.traceparent as string | null,
    tracestate: (row.tracestate as string | null | undefined) ?? null,
    createdAt: toIso(row.created_at as string)!,
    updatedAt: toIso(row.updated_at as string)!,
    finishedAt: toIso(row.finished_at as string | null),
    steps: steps.map((s) =>
      stepRecord(
        {
          name: s.name,
          status: s.status as StepState['status'],
          phase: s.phase as Phase | null,
          attempt: s.attempt,
          attemptBase: s.attempt_base,
          dueAt: toMs(s.due_at),
          mayHaveApplied: s.may_have_applied,
          input: s.input,
          output: s.output,
          lastError: s.last_error,
        },
        s.claim,
        toMs(s.lease_until),
        s.preclaimed,
        toIso(s.updated_at)!,
      ),
    ),
  };
}

/** A step to write, with the lease length of the call it owes. */
export type StepWrite = StepState & {
  leaseMs: number;
  /** Claim the call this step now owes in the same statement, for its job
   * to carry (a call due at once): a step then costs one statement, not two. */
  preclaim: boolean;
};

/** The claim a step's job carries: taken for it by the statement that
 * scheduled the call. */
export interface CarriedClaim {
  claim: number;
  /** Until when (this replica's clock, ms) the job's first delivery may use
   * the claim as it is, with no statement: the call's whole timeout then
   * still fits in the lease. Absent when the sweeper re-created the job:
   * it takes the claim over as a call that may have been sent. */
  useBy?: number;
}

/** What `insert` writes: the record's own columns, steps with their leases,
 * and the start's idempotency key. */
export interface NewTransaction
  extends Pick<
    TransactionRecord,
    'id' | 'definitionName' | 'definitionVersion' | 'spec' | 'type' | 'status' | 'direction' | 'input'
    | 'deadlineAt' | 'traceparent' | 'tracestate'
  > {
  steps: StepWrite[];
  idempotency: { key: string; requestHash: string } | null;
}

export interface Transition {
  id: string;
  expectedVersion: number;
  status: TransactionStatus;
  direction: 'forward' | 'backward';
  pivotPassed: boolean;
  finished: boolean;
  /** Wakes `?waitMs=` waiters on every replica (delivered at commit). */
  notify: boolean;
  rollbackReason: Reason | null;
  stuckReason: Reason | null;
  /** An operator's retry replaced the transaction's input; null otherwise. */
  newInput: { value: unknown } | null;
  steps: StepWrite[];
  attempt: AttemptRecord | null;
  /** An operator action, written in the same statement as its effect. */
  audit: AuditEntry | null;
  /** Announcements to deliver at least once (OutboxStore), written with it. */
  outbox: OutboxEntry[];
}

/** A row of the outbox: what to announce, under which topic. */
export interface OutboxEntry {
  topic: string;
  payload: unknown;
}

/** A claimed call: its fencing token, and its transaction as of the claim
 * (the claimed step included, with its input). */
export interface Claim {
  claim: number;
  /** The call had been claimed before and that lease ran out: it may have
   * been sent. False for a call no worker ever took. */
  resumed: boolean;
  record: TransactionRecord;
}
