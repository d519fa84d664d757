import { Client } from 'pg';
import { API_KEYS_NOTIFY_CHANNEL, type ApiKeyStore } from './api-key.store';
import { DEFINITIONS_NOTIFY_CHANNEL, type DefinitionStore } from './definition.store';
import type { TransactionRecord } from './transaction.record';
import type { NotifyObserver } from './transaction.store';
import { TX_NOTIFY_CHANNEL } from './transition.sql';

/**
 * Wakes `?waitMs=` requests when a transaction reaches a terminal status or
 * STUCK on any replica: the transition's NOTIFY is delivered at its commit.
 * One connection per process; reconnects after a Postgres restart.
 *
 * The same connection hears definition registrations (of any replica) and
 * keeps the DefinitionStore's "latest version" cache honest: the cache is on
 * only while the LISTEN is up, and starts empty after every (re)connect.
 * It also hears API key revocations and drops them from the ApiKeyStore's
 * cache (whose short TTL covers the time the LISTEN is down).
 */
export class TransactionListener implements NotifyObserver {
  private client: Client | null = null;
  private readonly waiters = new Map<string, Set<(record: TransactionRecord | null) => void>>();
  private closed = false;
  /** Ids with an announcing transition of this process in flight, and
   * whether their NOTIFY already came back (it may beat the statement's own
   * answer): their waiters wait for the committed record instead. */
  private readonly inFlight = new Map<string, { count: number; notified: boolean }>();

  constructor(
    private readonly url: string,
    private readonly definitions: DefinitionStore | null = null,
    private readonly apiKeys: ApiKeyStore | null = null,
  ) {}

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.url, application_name: 'accord-listener' });
    client.on('notification', (msg) => {
      if (msg.channel === DEFINITIONS_NOTIFY_CHANNEL) this.definitions?.invalidate(msg.payload || undefined);
      else if (msg.channel === API_KEYS_NOTIFY_CHANNEL) this.apiKeys?.invalidate(msg.payload || undefined);
      else this.notified(msg.payload ?? '');
    });
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${TX_NOTIFY_CHANNEL}; LISTEN ${DEFINITIONS_NOTIFY_CHANNEL}; LISTEN ${API_KEYS_NOTIFY_CHANNEL}`);
      this.client = client;
      this.definitions?.enableLatestCache(true);
      // Revocations may have been missed while the connection was down.
      this.apiKeys?.invalidate();
    } catch {
      this.reconnect(client);
    }
  }

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

  async stop(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const done of [...set]) done(null);
    const client = this.client;
    this.client = null;
    this.definitions?.enableLatestCache(false);
    await client?.end().catch(() => undefined);
  }

  private notified(id: string): void {
    const entry = this.inFlight.get(id);
    if (entry) entry.notified = true;
    else this.wake(id);
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

  private reconnect(client: Client): void {
    if (this.client !== client && this.client !== null) return;
    this.client = null;
    this.definitions?.enableLatestCache(false);
    client.removeAllListeners();
    client.end().catch(() => undefined);
    if (!this.closed) setTimeout(() => void this.start(), 1000);
  }
}
