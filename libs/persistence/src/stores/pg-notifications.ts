import { Client } from 'pg';

/** One channel's listener: told each payload, and when the LISTEN goes
 * down and comes up again (notifications between the two are lost). */
export interface ChannelSubscriber {
  channel: string;
  onNotify(payload: string): void;
  /** LISTEN is (again) up: anything sent while it was down was missed. */
  onListening?(): void;
  /** LISTEN is down, until the next onListening. */
  onDeaf?(): void;
}

/**
 * Postgres LISTEN/NOTIFY for this process: one connection for every
 * channel, reconnected a second after Postgres drops it.
 */
export class PgNotifications {
  private client: Client | null = null;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly subscribers: readonly ChannelSubscriber[],
  ) {}

  async start(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.url, application_name: 'accord-listener' });
    client.on('notification', (msg) => {
      for (const s of this.subscribers) if (s.channel === msg.channel) s.onNotify(msg.payload ?? '');
    });
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      await client.query(this.subscribers.map((s) => `LISTEN ${s.channel}`).join('; '));
      this.client = client;
      for (const s of this.subscribers) s.onListening?.();
    } catch {
      this.reconnect(client);
    }
  }

  async stop(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    for (const s of this.subscribers) s.onDeaf?.();
    await client?.end().catch(() => undefined);
  }

  private reconnect(client: Client): void {
    if (this.client !== client && this.client !== null) return;
    this.client = null;
    for (const s of this.subscribers) s.onDeaf?.();
    client.removeAllListeners();
    client.end().catch(() => undefined);
    if (!this.closed) setTimeout(() => void this.start(), 1000);
  }
}
