import type { TransactionState } from '@accord/core';
import type { OutboxEntry, TransactionRecord } from '@accord/persistence';

export const STUCK_TOPIC = 'transaction.stuck';

/** The contract's dead-letter announcement for a transaction that just became STUCK. */
export function stuckAnnouncement(record: TransactionRecord, after: TransactionState): OutboxEntry {
  return {
    topic: STUCK_TOPIC,
    payload: {
      type: STUCK_TOPIC,
      at: new Date().toISOString(),
      transaction: {
        id: record.id,
        definition: record.definitionName === null ? null : { name: record.definitionName, version: record.definitionVersion },
        type: record.type,
        status: after.status,
        step: after.stuckReason?.step ?? null,
        reason: after.stuckReason?.message ?? null,
      },
    },
  };
}
