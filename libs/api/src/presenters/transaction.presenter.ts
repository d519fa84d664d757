import { Injectable } from '@nestjs/common';
import type { TransactionSummary, TransactionView } from '@accord/contracts';
import type { Plan } from '@accord/core';
import { PlanResolver } from '@accord/engine';
import type { TransactionListRow, TransactionRecord } from '@accord/persistence';

/** Transaction views: the record with each step's dependencies from the
 * transaction's plan (cached per definition version), so a client can draw
 * the graph of inline specs too. */
@Injectable()
export class TransactionViews {
  constructor(private readonly plans: PlanResolver) {}

  async present(record: TransactionRecord): Promise<TransactionView> {
    return presentTransaction(record, await this.plans.resolve(record));
  }
}

export function presentTransaction(record: TransactionRecord, plan: Plan): TransactionView {
  const deps = new Map(plan.steps.map((s) => [s.name, s.deps]));
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
      dependsOn: deps.get(s.name) ?? [],
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
