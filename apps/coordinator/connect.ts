import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { runMigrations } from '@accord/persistence';
import type { Runtime } from './runtime';

/** Postgres may come up after the coordinator (compose, a restart): wait for
 * it, then migrate under the advisory lock. */
export async function connectWithRetry(runtime: Runtime, logger: Logger, attempts = 60): Promise<string[]> {
  for (let i = 1; ; i++) {
    try {
      if (!runtime.dataSource.isInitialized) await runtime.dataSource.initialize();
      return await runMigrations(runtime.dataSource);
    } catch (error) {
      if (i >= attempts) throw error;
      logger.warn({ err: error, attempt: i }, 'postgres not reachable yet; retrying');
      await sleep(1000);
    }
  }
}
