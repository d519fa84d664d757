import type { ChannelSubscriber } from './pg-notifications';
import type { TransactionRecord } from './transaction.record';
import type { NotifyObserver } from './transaction.store';
import { TX_NOTIFY_CHANNEL } from './transition.sql';

/**
 * Wakes `?waitMs=` requests when a transaction reaches a terminal status or
 * STUCK on any replica: the transition's NOTIFY (TX_NOTIFY_CHANNEL, heard
 * through PgNotifications) is delivered at its commit. A transition of this
 * process hands its waiters the committed record directly (NotifyObserver),
 * so they need no reload.
 */
export class TransactionWaiters implements NotifyObserver, ChannelSubscriber {
  readonly channel = TX_NOTIFY_CHANNEL;
  private readonly waiters = new Map<string, Set<(record: TransactionRecord | null) => void>>();
  /** Ids with an announcing transition of this process in flight, and
   * whether their NOTIFY already came back (it may beat the statement's own
   * answer): their waiters wait for the committed record instead. */
  private readonly inFlight = new Map<string, { count: number; notified: boolean }>();

  /** Resolves when `id` is announced or after `ms`, whichever is first: with
   * the transaction as committed when the announcing transition ran in this
   * process (`deliver`), else with null (reload it). */
  wait(id: string, ms: number): Promise<TransactionRecord | null> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      const done = (record: TransactionRecord | null) => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(id);
        resolve(record);
      };
      const timer = setTimeout(() => done(null), ms);
      set.add(done);
      this.waiters.set(id, set);
    });
  }

  /** An announcing transition of this process is about to be sent. */
  expect(id: string): void {
    const entry = this.inFlight.get(id);
    if (entry) entry.count++;
    else this.inFlight.set(id, { count: 1, notified: false });
  }

  /** It committed `record` (its NOTIFY reaches the other replicas): the
   * waiters here take it as is. */
  deliver(record: TransactionRecord): void {
    this.settle(record.id);
    for (const done of [...(this.waiters.get(record.id) ?? [])]) done(record);
  }

  /** It did not commit (or failed): a NOTIFY held back for it wakes now. */
  abandon(id: string): void {
    if (this.settle(id)) this.wake(id);
  }

  onNotify(id: string): void {
    const entry = this.inFlight.get(id);
    if (entry) entry.notified = true;
    else this.wake(id);
  }

  /** Shutting down: every waiter answers now (with a reload). */
  releaseAll(): void {
    for (const set of this.waiters.values()) for (const done of [...set]) done(null);
  }

  /** True when the last in-flight transition of `id` saw a NOTIFY come in. */
  private settle(id: string): boolean {
    const entry = this.inFlight.get(id);
    if (!entry) return false;
    if (--entry.count > 0) return false;
    this.inFlight.delete(id);
    return entry.notified;
  }

  private wake(id: string): void {
    for (const done of [...(this.waiters.get(id) ?? [])]) done(null);
  }
}
