/**
 * scripts/provision.mjs as `npm run local` uses it: with no Redis at
 * REDIS_URL it starts a redis-server there, and `--stop` stops that one
 * again, leaving a Redis it found running alone.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { assertRedisServerAvailable } from '../support/redis-process';
import { freePort, redisUrl } from '../support/test-env';

const ROOT = resolve(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/provision.mjs');
const run = promisify(execFile);

jest.setTimeout(60_000);

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

describe('scripts/provision.mjs', () => {
  let stateDir: string;
  const stateEnv = () => ({ ACCORD_REDIS_DIR: join(stateDir, 'redis'), ACCORD_PG_DIR: join(stateDir, 'pg') });

  beforeAll(() => assertRedisServerAvailable());
  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'accord-provision-'));
  });
  afterEach(async () => {
    // Whatever a failed run left started.
    await run(process.execPath, [SCRIPT, '--stop'], { env: { ...process.env, ...stateEnv() } }).catch(() => undefined);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('stops with --stop the redis-server it started, and not a Redis it found', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const env = {
      ...process.env,
      REDIS_URL: url,
      DATABASE_URL: process.env.ACCORD_TEST_PG_URL,
      ...stateEnv(),
    };

    const { stdout } = await run(process.execPath, [SCRIPT], { env });
    expect(stdout).toContain(`export REDIS_URL='${url}'`);
    expect(await answers(url)).toBe(true);
    expect((await readdir(join(stateDir, 'redis'))).filter((name) => name.endsWith('.pid'))).toHaveLength(1);

    await run(process.execPath, [SCRIPT, '--stop'], { env });
    expect(await answers(url)).toBe(false);
    expect((await readdir(join(stateDir, 'redis'))).filter((name) => name.endsWith('.pid'))).toEqual([]);

    // The tests' own Redis was found running, not started: --stop leaves it.
    await run(process.execPath, [SCRIPT], { env: { ...env, REDIS_URL: redisUrl() } });
    await run(process.execPath, [SCRIPT, '--stop'], { env: { ...env, REDIS_URL: redisUrl() } });
    expect(await answers(redisUrl())).toBe(true);
    expect(existsSync(join(stateDir, 'pg', 'postmaster.pid'))).toBe(false);
  });
});
