import { DataSource } from 'typeorm';
import { MIGRATIONS } from '@accord/migrations';
import { ENTITIES } from './entities';
import { markingPgDriver, type HangGuardConfig } from './unavailable/pg-driver';

export interface DataSourceOptions {
  url: string;
  poolSize: number;
  /** How long a query waits for a connection (a new one, or a free one of
   * the pool) before failing with DatabaseUnavailableError; 5000 by default. */
  connectTimeoutMs?: number;
  /** How long a query may go unanswered before its connection is dropped and
   * it fails with DatabaseUnavailableError (a server that hangs); unset: no
   * bound, for migrations, which may rightly run long. */
  queryTimeoutMs?: number;
  applicationName?: string;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    driver: markingPgDriver,
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'accord_migrations',
    migrationsRun: false,
    synchronize: false,
    logging: false,
    extra: {
      max: options.poolSize,
      application_name: options.applicationName ?? 'accord',
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      accordQueryTimeoutMs: options.queryTimeoutMs,
    } satisfies HangGuardConfig & Record<string, unknown>,
  });
}
