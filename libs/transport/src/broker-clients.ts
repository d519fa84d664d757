import { ClientNats, ClientRMQ, ClientTCP, type ClientProxy } from '@nestjs/microservices';
import type { Observable } from 'rxjs';
import type { MessageEndpoint, MessageTransport } from '@accord/contracts';
import { DurableReplyClientRedis } from './durable-reply.client-redis';

/** What every @nestjs/microservices client offers, whatever its status type. */
export type BrokerClient = Pick<ClientProxy, 'connect' | 'close' | 'send'> & { readonly status: Observable<string> };

/** Where the brokers are; a transport without its setting is not configured. */
export interface BrokerSettings {
  natsServers?: string[];
  rabbitmqUrls?: string[];
  /** `redis` participants' pub/sub; always set (REDIS_URL by default). */
  redisUrl: string;
  /** Connect the redis transport at start-up: only when it was set on purpose,
   * so a coordinator without redis participants opens no extra connections. */
  redisAtStartUp: boolean;
}

/** Each client's last known state, for the readiness details. */
export type BrokerState = 'connecting' | 'up' | 'down';

/** More TCP participants than this and the least recently added client is closed. */
const MAX_TCP_CLIENTS = 256;

/**
 * The long-lived @nestjs/microservices clients: one per broker (NATS, Redis),
 * one per RabbitMQ queue, one per TCP participant address. Each reconnects
 * by itself (NATS and amqp-connection-manager natively, Redis through its
 * retry strategy, TCP on the next call); a call made while one is down
 * fails fast in `connected` and is retried by the engine.
 */
export class BrokerClients {
  readonly configured: ReadonlySet<MessageTransport>;
  private nats: BrokerClient | null = null;
  private redis: BrokerClient | null = null;
  private readonly rmq = new Map<string, BrokerClient>();
  private readonly tcp = new Map<string, BrokerClient>();
  private readonly states = new Map<string, BrokerState>();
  private closed = false;

  constructor(
    private readonly settings: BrokerSettings,
    private readonly onError: (message: string, error: unknown) => void,
  ) {
    const configured = new Set<MessageTransport>(['redis', 'tcp']);
    if (settings.natsServers) configured.add('nats');
    if (settings.rabbitmqUrls) configured.add('rmq');
    this.configured = configured;
  }

  /** Opens the broker connections at start-up; one that is down is only
   * reported: it keeps reconnecting, and calls through it are retried. */
  async connect(): Promise<void> {
    const opening: Promise<void>[] = [];
    if (this.settings.natsServers) opening.push(this.open(this.natsClient(), 'nats'));
    if (this.settings.redisAtStartUp) opening.push(this.open(this.redisClient(), 'redis'));
    await Promise.all(opening);
  }

  /** The client for an endpoint; null when its transport is not configured.
   * `tcpAddress` is the checked address a tcp endpoint's host resolved to. */
  client(endpoint: MessageEndpoint, tcpAddress?: string): BrokerClient | null {
    if (this.closed || !this.configured.has(endpoint.transport)) return null;
    switch (endpoint.transport) {
      case 'nats':
        return this.natsClient();
      case 'redis':
        return this.redisClient();
      case 'rmq':
        return this.rmqClient(endpoint.queue);
      case 'tcp':
        return this.tcpClient(tcpAddress ?? endpoint.host, endpoint.port);
    }
  }

  /** A TCP client whose connection failed: the next call makes a new one,
   * which resolves the participant's host again. */
  forgetTcp(address: string, port: number): void {
    const key = `${address}:${port}`;
    const client = this.tcp.get(key);
    if (!client) return;
    this.tcp.delete(key);
    this.states.delete(`tcp ${key}`);
    void client.close();
  }

  /** The state of each broker connection (TCP participants are not brokers). */
  health(): Record<string, BrokerState> {
    return Object.fromEntries([...this.states].filter(([name]) => !name.startsWith('tcp ')));
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = [this.nats, this.redis, ...this.rmq.values(), ...this.tcp.values()].filter((c): c is BrokerClient => c !== null);
    this.nats = this.redis = null;
    this.rmq.clear();
    this.tcp.clear();
    await Promise.all(clients.map((client) => Promise.resolve(client.close() as unknown).catch(() => undefined)));
  }

  private natsClient(): BrokerClient {
    this.nats ??= this.track(
      new ClientNats({
        servers: this.settings.natsServers,
        name: 'accord-coordinator',
        // Never give up: the broker coming back is the normal case.
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      }),
      'nats',
    );
    return this.nats;
  }

  private redisClient(): BrokerClient {
    this.redis ??= this.track(new DurableReplyClientRedis({ ...redisOptions(this.settings.redisUrl), retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 }), 'redis');
    return this.redis;
  }

  private rmqClient(queue: string): BrokerClient {
    let client = this.rmq.get(queue);
    if (!client) {
      client = this.track(
        new ClientRMQ({
          urls: this.settings.rabbitmqUrls,
          queue,
          // The participant declares its queue with its own options; asserting
          // it here with others would close the channel on every call.
          noAssert: true,
          socketOptions: { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 },
        }),
        `rmq ${queue}`,
      );
      this.rmq.set(queue, client);
    }
    return client;
  }

  private tcpClient(address: string, port: number): BrokerClient {
    const key = `${address}:${port}`;
    let client = this.tcp.get(key);
    if (!client) {
      if (this.tcp.size >= MAX_TCP_CLIENTS) {
        const [oldest] = this.tcp.keys();
        const [oldAddress, oldPort] = splitKey(oldest);
        this.forgetTcp(oldAddress, oldPort);
      }
      client = this.track(new ClientTCP({ host: address, port }), `tcp ${key}`);
      this.tcp.set(key, client);
    }
    return client;
  }

  private track(client: BrokerClient, name: string): BrokerClient {
    this.states.set(name, 'connecting');
    client.status.subscribe((status) => {
      if (this.states.has(name)) this.states.set(name, status === 'connected' ? 'up' : 'down');
    });
    return client;
  }

  private async open(client: BrokerClient, name: string): Promise<void> {
    try {
      await client.connect();
    } catch (error) {
      this.states.set(name, 'down');
      this.onError(`${name}: not reachable at start-up; reconnecting`, error);
    }
  }
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(':');
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

/** ioredis options from a `redis://user:pass@host:port/db` URL. */
function redisOptions(url: string): { host: string; port: number; username?: string; password?: string; db?: number; tls?: object } {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1));
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: Number(parsed.port || 6379),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(Number.isInteger(db) && db > 0 ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}
