/**
 * RATE_LIMIT_PER_MINUTE against two coordinator replicas sharing one
 * (private) Redis: the limit is per credential and holds across replicas;
 * beyond it 429 RATE_LIMITED with Retry-After in the contract's envelope;
 * operations routes are not limited; a Redis that is down lets requests
 * through instead of failing them, and the limit resumes when it is back.
 */
import { Api, ADMIN_TOKEN, startCoordinator, type ApiResponse, type CoordinatorProcess } from '../support/coordinator-process';
import { startRedis, type RedisProcess } from '../support/redis-process';

jest.setTimeout(90_000);

const LIMIT = 8;

describe('rate limit', () => {
  let redis: RedisProcess;
  let a: CoordinatorProcess;
  let b: CoordinatorProcess;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    a = await startCoordinator({ label: 'ratelimit-a', env });
    b = await startCoordinator({ label: 'ratelimit-b', databaseUrl: a.databaseUrl, queuePrefix: a.queuePrefix, env });
    for (const name of ['first', 'second']) {
      const res = await new Api(a.url).post('/v1/admin/api-keys', { name, scopes: ['transactions:read'] });
      expect(res.status).toBe(201);
      keys[name] = res.body.key;
    }
  }, 90_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  const onReplica = (i: number, token: string | null) => new Api(i % 2 === 0 ? a.url : b.url, token);

  it('counts a credential across both replicas, then answers 429 RATE_LIMITED with Retry-After', async () => {
    const answers: ApiResponse[] = [];
    for (let i = 0; i < LIMIT; i++) answers.push(await onReplica(i, keys.first).get('/v1/definitions'));
    expect(answers.map((r) => r.status)).toEqual(Array(LIMIT).fill(200));
    expect(answers.map((r) => Number(r.headers['x-ratelimit-remaining']))).toEqual([...Array(LIMIT).keys()].map((i) => LIMIT - 1 - i));

    for (const i of [0, 1]) {
      const refused = await onReplica(i, keys.first).get('/v1/definitions');
      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining(`more than ${LIMIT} requests a minute`), details: [] } });
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
    }
  });

  it('keeps other credentials apart', async () => {
    expect((await onReplica(0, keys.second).get('/v1/definitions')).status).toBe(200);
    expect((await onReplica(1, ADMIN_TOKEN).get('/v1/definitions')).status).toBe(200);
  });

  it('answers an anonymous request 401 before counting, and leaves operations routes alone', async () => {
    expect((await onReplica(0, null).get('/v1/definitions')).status).toBe(401);
    for (let i = 0; i < LIMIT + 2; i++) {
      expect((await onReplica(i, null).get('/health/live')).status).toBe(200);
      expect((await onReplica(i, keys.first).get('/metrics')).status).toBe(200);
    }
  });

  it('fails open when Redis is down: the limited credential gets through, nothing fails', async () => {
    expect((await onReplica(0, keys.first).get('/v1/definitions')).status).toBe(429);
    await redis.kill('SIGKILL');
    // The rate limit's connection notices within a moment; until then a
    // command times out (250 ms) and fails open as well.
    const deadline = Date.now() + 5000;
    let statuses: number[] = [];
    while (Date.now() < deadline) {
      statuses = [(await onReplica(0, keys.first).get('/v1/definitions')).status, (await onReplica(1, keys.first).get('/v1/definitions')).status];
      if (statuses.every((s) => s === 200)) break;
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    }
    expect(statuses).toEqual([200, 200]);
    for (let i = 0; i < LIMIT + 2; i++) expect((await onReplica(i, keys.first).get('/v1/definitions')).status).toBe(200);
  });

  it('limits again once Redis is back (empty: the count starts over)', async () => {
    await redis.restart();
    const deadline = Date.now() + 15_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) status = (await onReplica(0, keys.second).get('/v1/definitions')).status;
    expect(status).toBe(429);
  });
});
