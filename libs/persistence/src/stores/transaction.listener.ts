import { Client } from 'pg';
import { TX_NOTIFY_CHANNEL } from './transaction.store';

/**
 * Wakes `?waitMs=` requests when a transaction reaches a terminal status or
 * STUCK on any replica: the transition's NOTIFY is delivered at its commit.
 * One connection per process; reconnects after a Postgres restart.
 */
export class TransactionListener {
  private client: Client | null = null;
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;

  constructor(private readonly url: string) {}

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.url, application_name: 'accord-listener' });
    client.on('notification', (msg) => this.wake(msg.payload ?? ''));
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${TX_NOTIFY_CHANNEL}`);
      this.client = client;
    } catch {
      this.reconnect(client);
    }
  }

  /** Resolves when `id` is announced or after `ms`, whichever is first. */
  wait(id: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
      this.waiters.set(id, set);
    });
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const done of [...set]) done();
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private wake(id: string): void {
    for (const done of [...(this.waiters.get(id) ?? [])]) done();
  }

  private reconnect(client: Client): void {
    if (this.client !== client && this.client !== null) return;
    this.client = null;
    client.removeAllListeners();
    client.end().catch(() => undefined);
    if (!this.closed) setTimeout(() => void this.start(), 1000);
  }
}
