/**
 * jest globalSetup of the "services" project: makes sure Postgres and Redis
 * are reachable (starting local ones if needed, see scripts/provision.mjs) and
 * picks a run id that namespaces every database and queue prefix this run
 * creates, so that runs sharing the servers never see each other's data.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { clearChaosReport } from './chaos-report';

interface ProvisionModule {
  provision: (opts: { quiet: boolean }) => Promise<{ databaseUrl: string; redisUrl: string }>;
}

// ts-jest compiles this file to CommonJS, which would turn a plain import()
// into require(); the .mjs must be loaded as ES module.
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant body: the one way to keep import() from becoming require()
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

export default async function globalSetup(): Promise<void> {
  const script = path.resolve(__dirname, '..', '..', 'scripts', 'provision.mjs');
  const { provision } = (await importEsm(pathToFileURL(script).href)) as ProvisionModule;
  const { databaseUrl, redisUrl } = await provision({ quiet: true });

  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  process.env.ACCORD_TEST_PG_URL = admin.toString();
  process.env.REDIS_URL = redisUrl;
  process.env.ACCORD_TEST_RUN ??=
    'r' + Date.now().toString(36) + Math.random().toString(36).slice(2, 6).padEnd(4, '0');
  clearChaosReport();
}
