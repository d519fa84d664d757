import { DataSource } from 'typeorm';
import { MIGRATIONS } from '@accord/migrations';
import { ENTITIES } from './entities';

export interface DataSourceOptions {
  url: string;
  poolSize: number;
  applicationName?: string;
}

export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
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
      connectionTimeoutMillis: 5000,
    },
  });
}
