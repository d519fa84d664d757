import { Barrier } from '@accord/participant';
import { Pool, type PoolClient } from 'pg';

/** A service's own database: a pool, the barrier's table installed, and the
 * service's tables opened by `open`. */
export async function openShopDatabase(databaseUrl: string, open: (client: PoolClient) => Promise<unknown>): Promise<{ pool: Pool; barrier: Barrier }> {
  const pool = new Pool({ connectionString: databaseUrl, max: 5 });
  const barrier = new Barrier(pool);
  await barrier.install();
  await withClient(pool, open);
  return { pool, barrier };
}

export async function withClient<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}
