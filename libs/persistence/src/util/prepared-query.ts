import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** A named (prepared) statement on the DataSource's own pg pool: each
 * connection parses and plans it once. The hot path's statements go here. */
export async function preparedQuery(db: DataSource, name: string, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
  const pool = (db.driver as unknown as { master: Pool }).master;
  return (await pool.query({ name: `accord_${name}`, text, values })).rows as Record<string, unknown>[];
}
