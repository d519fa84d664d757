import pg, { DatabaseError, type PoolClient, type PoolConfig } from 'pg';
import { DatabaseUnavailableError } from './database-unavailable';

type ConnectCallback = (error: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;
type QueryCallback = (error: Error | null, result: unknown) => void;

/** Connection parameter (read from the pool's config) bounding how long a
 * query may go unanswered; unset or 0: no bound. */
export interface HangGuardConfig {
  accordQueryTimeoutMs?: number;
}

/**
 * A client whose queries fail with DatabaseUnavailableError when its
 * connection ended under them (pg says so with a plain "Connection
 * terminated unexpectedly"). The connection's `end` fires before pg fails
 * the queries (on the next tick), so the mark is set in time.
 *
 * A server that hangs (stopped, or a network that drops packets) never ends
 * the connection: a query unanswered after `accordQueryTimeoutMs` destroys
 * its connection, which fails it the same way and keeps the pool from
 * handing out a connection still waiting for that answer. pg's own
 * `query_timeout` is not used: it leaves a sent query's connection waiting.
 */
class MarkingClient extends pg.Client {
  private ended = false;

  constructor(config?: string | (pg.ClientConfig & HangGuardConfig)) {
    super(config);
    this.connection.once('end', () => (this.ended = true));
    const timeoutMs = typeof config === 'object' ? (config.accordQueryTimeoutMs ?? 0) : 0;
    // pg's overloads (text or config, values, callback, or a promise) pass through as they came.
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const guard = timeoutMs > 0 ? setTimeout(() => this.connection.stream.destroy(), timeoutMs) : undefined;
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (error: Error | null, result: unknown) => {
          clearTimeout(guard);
          (callback as QueryCallback)(error ? this.classify(error) : error, result);
        };
        return query(...args);
      }
      const result = query(...args);
      if (!(result instanceof Promise)) return result;
      return result.then(
        (value: unknown) => {
          clearTimeout(guard);
          return value;
        },
        (error: Error) => {
          clearTimeout(guard);
          return Promise.reject(this.classify(error));
        },
      );
    }) as typeof this.query;
  }

  /** pg-pool's `query` fails a query with the client's `error` event when
   * that comes first: the same classification applies there. */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'error' && args[0] instanceof Error) args[0] = this.classify(args[0]);
    return super.emit(event, ...args);
  }

  private classify(error: Error): Error {
    return this.ended && !(error instanceof DatabaseError) ? new DatabaseUnavailableError(error) : error;
  }
}

/** A pool whose failures to hand out a connection (refused, timed out,
 * waiting past `connectionTimeoutMillis` for a free one) are DatabaseUnavailableError. */
class MarkingPool extends pg.Pool {
  constructor(config?: PoolConfig) {
    super({ ...config, Client: MarkingClient });
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    if (!callback) return super.connect().catch((error: unknown) => Promise.reject(new DatabaseUnavailableError(error)));
    super.connect((error, client, done) => callback(error ? new DatabaseUnavailableError(error) : error, client, done));
  }
}

/** The `pg` module as TypeORM loads it (`driver`), with the marking pool. */
export const markingPgDriver: typeof pg = Object.assign(Object.create(pg) as typeof pg, { Pool: MarkingPool });
