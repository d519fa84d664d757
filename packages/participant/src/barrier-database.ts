/** What the barrier needs from the participant's database: one connection at
 * a time, in a local transaction, plus what the business function writes
 * through (its `session`). pg (pg.barrier-database.ts) and TypeORM
 * (typeorm/) provide one; anything that speaks to Postgres can. */

export interface BarrierQueryResult<Row> {
  rows: Row[];
  /** Rows inserted, updated or returned. */
  rowCount: number;
}

/** One connection, lent to the barrier for one call. */
export interface BarrierConnection<Session> {
  /** Handed to the business function (e.g. `{ client }`, `{ manager }`):
   * what its writes must go through to commit with the barrier row. */
  readonly session: Session;
  query<Row>(sql: string, params?: readonly unknown[]): Promise<BarrierQueryResult<Row>>;
  /** Starts the local transaction, READ COMMITTED whatever the server default:
   * REPEATABLE READ would turn the wait on a conflicting INSERT into a
   * serialization error. */
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Returns the connection; `broken` when it could not roll back, so it is
   * discarded instead of reused mid-transaction. */
  release(broken?: Error): void;
}

export interface BarrierDatabase<Session> {
  /** Lends a connection (from a pool). */
  open(): Promise<BarrierConnection<Session>>;
}
