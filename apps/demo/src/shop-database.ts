import { Pool, type PoolClient } from 'pg';

/** A service's pool on its own database. */
export const openPool = (databaseUrl: string): Pool => new Pool({ connectionString: databaseUrl, max: 5 });

export async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}
