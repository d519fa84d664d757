import { isSettled, UUID_PATTERN } from '@accord/contracts';
import type { TransactionRecord, TransactionStore, TransactionWaiters } from '@accord/persistence';
import { EngineError } from './engine.error';

export interface WaitCommand {
  id: string;
  /** At most this long; 0 or absent: as it is now. */
  waitMs?: number;
  /** The transaction as the caller already holds it (a start's answer): no first load. */
  known?: TransactionRecord;
}

/** Reads a transaction once it settles (terminal or STUCK) or `waitMs`
 * passed, whichever is first (`?waitMs=`). A NOTIFY wakes it (a transition
 * committed by this replica hands over the committed state, so no reload); a
 * slow poll covers a lost notification. */
export class WaitForTransaction {
  /** The longest sleep between two looks, should a notification be lost. */
  private static readonly POLL_MS = 1000;

  constructor(
    private readonly store: TransactionStore,
    private readonly waiters: TransactionWaiters,
  ) {}

  async execute(cmd: WaitCommand): Promise<TransactionRecord> {
    const until = Date.now() + (cmd.waitMs ?? 0);
    let current = cmd.known ?? (await this.load(cmd.id));
    while (!isSettled(current.status)) {
      const left = until - Date.now();
      if (left <= 0) break;
      const delivered = await this.waiters.wait(current.id, Math.min(left, WaitForTransaction.POLL_MS));
      current = delivered ?? (await this.store.load(current.id)) ?? current;
    }
    return current;
  }

  private async load(id: string): Promise<TransactionRecord> {
    const record = UUID_PATTERN.test(id) ? await this.store.load(id) : null;
    if (!record) throw new EngineError('TRANSACTION_NOT_FOUND', `no transaction ${id}`);
    return record;
  }
}
