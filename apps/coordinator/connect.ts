import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { createDataSource, runMigrations } from '@accord/persistence';
import type { Runtime } from './runtime';

/** Postgres may come up after the coordinator (compose, a restart): wait for
 * it, then migrate under the advisory lock. */
export async function connectWithRetry(runtime: Runtime, logger: Logger, attempts = 60): Promise<string[]> {
  for (let i = 1; ; i++) {
    try {
      if (!runtime.dataSource.isInitialized) await runtime.dataSource.initialize();
      return await migrate(runtime);
    } catch (error) {
      if (i >= attempts) throw error;
      logger.warn({ err: error, attempt: i }, 'postgres not reachable yet; retrying');
      await sleep(1000);
    }
  }
}

/** On connections of their own: waiting for another replica's migration
 * lock, or a migration over a large table, rightly outlasts the query
 * timeout of the serving pool. */
async function migrate(runtime: Runtime): Promise<string[]> {
  const dataSource = createDataSource({
    url: runtime.config.DATABASE_URL,
    poolSize: 2,
    connectTimeoutMs: runtime.config.DATABASE_CONNECT_TIMEOUT_MS,
    applicationName: 'accord-migrate',
  });
  await dataSource.initialize();
  try {
    return await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
