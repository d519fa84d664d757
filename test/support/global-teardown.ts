/**
 * jest globalTeardown of the "services" project: prints the chaos report of
 * the scenarios that ran, drops the databases and deletes the Redis keys that
 * this run (ACCORD_TEST_RUN) created, and nothing else. Servers started by
 * provisioning keep running for the next run.
 */
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { writeChaosReport } from './chaos-report';

async function dropDatabases(adminUrl: string, prefix: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE left(datname, length($1)) = $1',
      [prefix],
    );
    for (const { datname } of rows) {
      await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
        datname,
      ]);
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)}`);
    }
  } finally {
    await client.end();
  }
}

async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export default async function globalTeardown(): Promise<void> {
  // The chaos scenarios of this run, as one table at its end.
  const table = writeChaosReport();
  if (table) console.log(`\n${table}\n`);
  const run = process.env.ACCORD_TEST_RUN;
  if (!run || !/^[a-z0-9]+$/.test(run)) return;
  const results = await Promise.allSettled([
    process.env.ACCORD_TEST_PG_URL ? dropDatabases(process.env.ACCORD_TEST_PG_URL, `accord_${run}_`) : undefined,
    process.env.REDIS_URL ? deleteKeys(process.env.REDIS_URL, `{accord_${run}_*`) : undefined,
  ]);
  for (const r of results) {
    if (r.status === 'rejected') console.warn('[global-teardown] cleanup failed:', r.reason);
  }
}
