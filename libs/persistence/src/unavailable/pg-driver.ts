import pg, { DatabaseError, type PoolClient, type PoolConfig } from 'pg';
import { DatabaseUnavailableError } from './database-unavailable';

type ConnectCallback = (error: Error | undefined, client: PoolClient | undefined, done: (release?: unknown) => void) => void;
type QueryCallback = (error: Error | null, result: unknown) => void;

/**
 * A client whose queries fail with DatabaseUnavailableError when its
 * connection ended under them (pg says so with a plain "Connection
 * terminated unexpectedly"). The connection's `end` fires before pg fails
 * the queries (on the next tick), so the mark is set in time.
 */
class MarkingClient extends pg.Client {
  private ended = false;

  constructor(config?: string | pg.ClientConfig) {
    super(config);
    this.connection.once('end', () => (this.ended = true));
    // pg's overloads (text or config, values, callback, or a promise) pass through as they came.
    const query = this.query.bind(this) as (...args: unknown[]) => unknown;
    this.query = ((...args: unknown[]) => {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (error: Error | null, result: unknown) => (callback as QueryCallback)(error ? this.classify(error) : error, result);
        return query(...args);
      }
      const result = query(...args);
      return result instanceof Promise ? result.catch((error: Error) => Promise.reject(this.classify(error))) : result;
    }) as typeof this.query;
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
