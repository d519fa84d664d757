import 'reflect-metadata';
import { loadConfig } from '@accord/config';
import { createDataSource, runMigrations } from '@accord/persistence';

/** `npm run migrate`: apply pending migrations and exit. */
async function migrate(): Promise<void> {
  const config = loadConfig();
  const dataSource = createDataSource({ url: config.DATABASE_URL, poolSize: 2 });
  await dataSource.initialize();
  try {
    const applied = await runMigrations(dataSource);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
  } finally {
    await dataSource.destroy();
  }
}

migrate().catch((error: unknown) => {
  process.stderr.write(`accord migrate: ${(error as Error).message}\n`);
  process.exit(1);
});
