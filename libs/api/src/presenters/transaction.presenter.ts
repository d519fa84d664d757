import type { TransactionSummary, TransactionView } from '@accord/contracts';
import type { TransactionListRow, TransactionRecord } from '@accord/persistence';

export function presentTransaction(record: TransactionRecord): TransactionView {
  return {
    id: record.id,
    definition: record.definitionName === null ? null : { name: record.definitionName, version: record.definitionVersion },
    inline: record.spec !== null,
    type: record.type,
    status: record.status,
    input: record.input,
    deadlineAt: record.deadlineAt === null ? null : new Date(record.deadlineAt).toISOString(),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    finishedAt: record.finishedAt,
    rollbackReason: record.rollbackReason,
    stuckReason: record.stuckReason,
    steps: record.steps.map((s) => ({
      name: s.name,
      status: s.status,
      phase: s.phase,
      attempts: s.attempt,
      nextAttemptAt: s.dueAt === null ? null : new Date(s.dueAt).toISOString(),
      input: s.input,
      output: s.output,
      lastError: s.lastError,
    })),
  };
}

export function presentSummary(summary: TransactionListRow): TransactionSummary {
  return {
    id: summary.id,
    definition: summary.definitionName === null ? null : { name: summary.definitionName, version: summary.definitionVersion },
    type: summary.type,
    status: summary.status,
    createdAt: summary.createdAt,
    updatedAt: summary.updatedAt,
  };
}
