import type { Pool, PoolClient } from 'pg';
import type { BarrierDatabase } from './barrier-database';

/** What a business function on a pg Pool writes through. */
export interface PgSession {
  /** The barrier's open transaction on one client of the pool. */
  client: PoolClient;
}

/** The barrier on a pg Pool (node-postgres): one pooled client per call. */
export function pgDatabase(pool: Pool): BarrierDatabase<PgSession> {
  return {
    async open() {
      const client = await pool.connect();
      return {
        session: { client },
        async query<Row>(sql: string, params: readonly unknown[] = []) {
          const result = await client.query(sql, [...params]);
          return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
        },
        async begin() {
          await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
        },
        async commit() {
          await client.query('COMMIT');
        },
        async rollback() {
          await client.query('ROLLBACK');
        },
        release: (broken) => client.release(broken),
      };
    },
  };
}
