import { loadConfig } from '@accord/config';
import { createDataSource } from './data-source.factory';

/** For the TypeORM CLI (`migration:generate --check` in CI). */
export default createDataSource({ url: loadConfig().DATABASE_URL, poolSize: 2 });
