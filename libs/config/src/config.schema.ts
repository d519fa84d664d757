import { z } from 'zod';
import { parseAllowList } from '@accord/core';

const int = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** `PARTICIPANT_ALLOW`: the targets participants may be called at (see the
 * contract's "Safe targets"); a bad entry stops start-up, named. */
const allowList = z.string().transform((text, ctx) => {
  const parsed = parseAllowList(text);
  if (parsed.ok) return parsed.entries;
  ctx.addIssue({ code: 'custom', message: `bad entry "${parsed.entry}": ${parsed.message}` });
  return z.NEVER;
});

const urlWithProtocol = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')}// URL`);

/** One URL, or several separated by commas (a cluster's servers). */
const urlList = (protocols: string[]) =>
  z
    .string()
    .transform((text) => text.split(',').map((url) => url.trim()).filter((url) => url !== ''))
    .pipe(z.array(urlWithProtocol(protocols)).min(1));

/** What a replica runs: the HTTP API (and START_TRANSPORT), the workers that
 * call participants (with the sweeper and the periodic jobs), or both. */
export const ROLES = ['api', 'worker', 'all'] as const;
export type Role = (typeof ROLES)[number];

/** Every setting of the coordinator, read once from the environment. */
export const ConfigSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: int(0, 65535, 3000),
  /** Where the HTTP server listens: loopback unless told otherwise (the container image sets 0.0.0.0). */
  HOST: z.string().default('127.0.0.1'),
  /** Slow clients (slowloris): a request whose headers, or whose whole body,
   * has not arrived by then is answered 408 REQUEST_TIMEOUT and its
   * connection closed; checked every second. A long poll (?waitMs) is not
   * cut: its request has arrived. */
  HTTP_HEADERS_TIMEOUT_MS: int(1000, 600_000, 10_000),
  HTTP_REQUEST_TIMEOUT_MS: int(1000, 3_600_000, 30_000),
  /** An idle keep-alive connection is closed after this long. */
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000, 5000),
  /** Requests served on one connection before it is closed (0: no limit). */
  HTTP_MAX_REQUESTS_PER_SOCKET: int(0, 1_000_000, 1000),
  /** Open client connections beyond which new ones are dropped at once, so
   * idle sockets cannot take every file descriptor. */
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000, 1024),
  DATABASE_URL: urlWithProtocol(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_POOL_SIZE: int(2, 500, 20),
  /** How long a request waits for a Postgres connection before it is
   * answered 503 UNAVAILABLE (the contract's Backpressure). */
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 60_000, 3000),
  /** How long a query may go unanswered before its connection is dropped
   * and the request answered 503 UNAVAILABLE: a Postgres that hangs (stopped,
   * or packets dropped) instead of refusing. Above any healthy statement's time. */
  DATABASE_QUERY_TIMEOUT_MS: int(100, 600_000, 10_000),
  REDIS_URL: urlWithProtocol(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only')
    .default('accord'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SIGNING_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Unset: every target but the always-refused ones (and loopback in production). */
  PARTICIPANT_ALLOW: allowList.optional(),
  /** Where each transaction that becomes STUCK is announced (POST, signed
   * like participant calls, at least once). Unset: no announcements. */
  STUCK_WEBHOOK_URL: urlWithProtocol(['http:', 'https:']).optional(),
  /** How long one delivery may take; with LEASE_MARGIN_MS, how long a
   * replica holds an announcement it is delivering. */
  STUCK_WEBHOOK_TIMEOUT_MS: int(100, 600_000, 10_000),
  /** `/v1` requests per credential and minute, across replicas (Redis). Unset: no limit. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** NATS servers for `nats` participants and START_TRANSPORT=nats. Unset: such definitions are refused. */
  NATS_URL: urlList(['nats:', 'tls:']).optional(),
  /** RabbitMQ for `rmq` participants and START_TRANSPORT=rmq. Unset: such definitions are refused. */
  RABBITMQ_URL: urlList(['amqp:', 'amqps:']).optional(),
  /** Redis for `redis` participants (pub/sub); REDIS_URL when unset. */
  TRANSPORT_REDIS_URL: urlWithProtocol(['redis:', 'rediss:']).optional(),
  /** Also answer `accord.transactions.start` over this broker (its URL must be set). Unset: REST only. */
  START_TRANSPORT: z.enum(['nats', 'rmq']).optional(),
  /** The RabbitMQ queue START_TRANSPORT=rmq consumes. */
  START_QUEUE: z.string().min(1).max(255).default('accord'),
  /** `api`: the HTTP API and START_TRANSPORT; `worker`: participant calls, the sweeper and the periodic
   * jobs (HTTP serves only /health and /metrics); `all`: both. */
  ROLE: z.enum(ROLES).default('all'),
  /** Unsettled transactions (not terminal, not STUCK) beyond which a start
   * is 429 OVERLOADED, across replicas (recounted every quarter second). Unset: no limit. */
  MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(100_000_000).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WORKER_CONCURRENCY: int(1, 1000, 64),
  /** Sockets to one participant origin; calls beyond wait for one, so a busy
   * participant cannot take the file descriptors the API and /metrics need. */
  PARTICIPANT_CONNECTIONS_PER_ORIGIN: int(1, 1000, 32),
  SWEEP_INTERVAL_MS: int(50, 600_000, 1000),
  /** A due step is re-enqueued only after it waited this long, so the sweeper
   * does not race the fast path. */
  SWEEP_GRACE_MS: int(0, 600_000, 2000),
  /** Terminal transactions finished longer ago than this are deleted with
   * their steps, attempts and idempotency keys. 0 keeps them forever. */
  RETENTION_DAYS: int(0, 36_500, 0),
  RETENTION_INTERVAL_MS: int(1000, 86_400_000, 3_600_000),
  /** Added to a call's timeout to form its lease. */
  LEASE_MARGIN_MS: int(100, 600_000, 5000),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024, 1024 * 1024),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000, 15_000),
});

export type AccordConfig = z.infer<typeof ConfigSchema> & { production: boolean; authEnabled: boolean };

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): AccordConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const { START_TRANSPORT, NATS_URL, RABBITMQ_URL } = parsed.data;
  if ((START_TRANSPORT === 'nats' && !NATS_URL) || (START_TRANSPORT === 'rmq' && !RABBITMQ_URL)) {
    throw new ConfigError(`invalid configuration:\n  START_TRANSPORT: ${START_TRANSPORT} needs ${START_TRANSPORT === 'nats' ? 'NATS_URL' : 'RABBITMQ_URL'}`);
  }
  if (parsed.data.HTTP_HEADERS_TIMEOUT_MS > parsed.data.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  const production = parsed.data.NODE_ENV === 'production';
  if (production && !parsed.data.ADMIN_TOKEN) {
    throw new ConfigError('refusing to start in production without credentials: set ADMIN_TOKEN');
  }
  return { ...parsed.data, production, authEnabled: parsed.data.ADMIN_TOKEN !== undefined };
}
