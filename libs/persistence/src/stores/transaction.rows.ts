import type { Spec, TransactionType } from '@accord/core';
import { mapTransactionRow, type Claim, type NewTransaction, type StepWrite, type TransactionRecord } from './transaction.record';

/** Rows to and from the transition statements. */

/** The transaction `insert` wrote, as `load` would read it back. */
export function insertedRecord(tx: NewTransaction, createdAt: Date | string): TransactionRecord {
  const at = new Date(createdAt).toISOString();
  return {
    id: tx.id,
    namespace: tx.namespace,
    definitionName: tx.definitionName,
    definitionVersion: tx.definitionVersion,
    spec: tx.spec,
    type: tx.type,
    status: tx.status,
    direction: tx.direction,
    pivotPassed: false,
    input: tx.input ?? null,
    deadlineAt: tx.deadlineAt,
    version: 0,
    traceparent: tx.traceparent,
    createdAt: at,
    updatedAt: at,
    finishedAt: null,
    steps: tx.steps.map(({ leaseMs: _leaseMs, ...s }) => ({
      ...s,
      input: s.input ?? null,
      output: s.output ?? null,
      claim: 0,
      leaseUntil: null,
      updatedAt: at,
    })),
  };
}

export function stepJson(s: StepWrite): Record<string, unknown> {
  return {
    name: s.name,
    status: s.status,
    phase: s.phase,
    attempt: s.attempt,
    attempt_base: s.attemptBase,
    due_at: iso(s.dueAt),
    lease_ms: s.leaseMs,
    may_have_applied: s.mayHaveApplied,
    input: s.input ?? null,
    output: s.output ?? null,
    last_error: s.lastError,
  };
}

export function toClaim(row: Record<string, unknown>): Claim {
  return {
    claim: row.claimed as number,
    input: row.step_input,
    definitionName: row.definition_name as string | null,
    definitionVersion: row.definition_version as number | null,
    spec: row.spec as Spec | null,
    traceparent: row.traceparent as string | null,
    type: row.type as TransactionType,
    record: mapTransactionRow(row),
  };
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
