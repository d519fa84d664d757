import type { BulkRetryResult } from '@accord/contracts';
import type { TransactionQueryStore } from '@accord/persistence';
import { EngineError } from './engine.error';
import type { TransactionEvents } from './transaction-events.usecase';

export interface BulkRetryCommand {
  status: 'STUCK';
  definition?: string;
  limit: number;
  note?: string;
  /** Count what would be retried, and change nothing. */
  dryRun: boolean;
  actor: string;
}

/** Retries STUCK transactions in bulk, oldest first, each as its own audited
 * operator retry. One that moved on meanwhile (another operator, a racing
 * replica) is left out of `retried`, not an error. */
export class RetryTransactions {
  constructor(
    private readonly queries: TransactionQueryStore,
    private readonly events: TransactionEvents,
  ) {}

  async execute(cmd: BulkRetryCommand): Promise<BulkRetryResult> {
    const ids = await this.queries.idsByStatus(cmd.status, cmd.definition, cmd.limit);
    if (cmd.dryRun) return { matched: ids.length, retried: [] };
    const retried: string[] = [];
    for (const id of ids) {
      try {
        await this.events.retry(id, { actor: cmd.actor, note: cmd.note });
        retried.push(id);
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
      }
    }
    return { matched: ids.length, retried };
  }
}
