/**
 * Backpressure (the contract's section of that name) against real processes:
 * a coordinator whose Postgres (a cluster of this test's own) is stopped, or
 * hangs (SIGSTOP: connections open, nothing answers), answers 503
 * UNAVAILABLE with Retry-After instead of hanging, fails readiness, and
 * serves again by itself once Postgres is back; one whose
 * Redis (a redis-server of its own) is killed still accepts starts and runs
 * them once Redis is back, saying so in `accord_redis_up` and readiness;
 * MAX_IN_FLIGHT sheds starts with 429 OVERLOADED.
 */
import { request } from 'undici';
import { ADMIN_TOKEN, Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { script, startParticipant, type ParticipantProcess } from '../support/participant-process';
import { startRedis, type RedisProcess } from '../support/redis-process';
import { startPostgres, type PostgresProcess } from '../support/postgres-process';

jest.setTimeout(180_000);

const CONNECT_TIMEOUT_MS = 1000;
const QUERY_TIMEOUT_MS = 2000;

/** A request that must not hang: it fails the test if no answer came long
 * after the coordinator's own connect timeout would have answered it. */
async function answered(url: string, init: { method?: 'GET' | 'POST'; body?: unknown } = {}) {
  const started = performance.now();
  const res = await request(url, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    headersTimeout: 30 * CONNECT_TIMEOUT_MS,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: res.headers['content-type']?.includes('json') ? JSON.parse(text) : text, ms: performance.now() - started };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((r) => setTimeout(r, 200))) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('backpressure: Postgres unreachable', () => {
  let postgres: PostgresProcess;
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;

  beforeAll(async () => {
    postgres = await startPostgres();
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({
      label: 'backpressure_pg',
      databaseUrl: postgres.url,
      env: { DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS), DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS) },
    });
    api = new Api(coordinator.url);
    const res = await api.post('/v1/definitions', {
      name: 'pair',
      type: 'saga',
      steps: [{ name: 'one', action: { url: `${participant.url}/one` } }, { name: 'two', action: { url: `${participant.url}/two` } }],
    });
    expect(res.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
    await postgres?.destroy();
  });

  it('answers 503 UNAVAILABLE with Retry-After while Postgres is stopped, fails readiness only then, and serves again once it is back', async () => {
    const before = (await api.post('/v1/transactions?waitMs=30000', { definition: 'pair', input: {} })).body;
    expect(before.status).toBe('COMPLETED');

    await postgres.stop();

    const starts = await Promise.all(Array.from({ length: 20 }, () => answered(`${coordinator.url}/v1/transactions`, { method: 'POST', body: { definition: 'pair', input: {} } })));
    const reads = await Promise.all([
      answered(`${coordinator.url}/v1/transactions/${before.id}`),
      answered(`${coordinator.url}/v1/transactions?limit=5`),
      answered(`${coordinator.url}/v1/definitions/pair`),
    ]);
    for (const res of [...starts, ...reads]) {
      expect({ status: res.status, body: res.body }).toEqual({
        status: 503,
        body: { error: { code: 'UNAVAILABLE', message: expect.any(String), details: [] } },
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    const ready = await answered(`${coordinator.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.error.code).toBe('UNAVAILABLE');
    expect(ready.body.error.details).toEqual(
      expect.arrayContaining([{ path: 'postgres', message: expect.stringMatching(/^down: /) }, { path: 'redis', message: 'up' }]),
    );
    expect((await answered(`${coordinator.url}/health/live`)).status).toBe(200);
    // Operators still see the metrics during the outage.
    expect((await answered(`${coordinator.url}/metrics`)).status).toBe(200);
    expect(coordinator.logs()).not.toContain('unhandled error');
    console.log(`503 answers while Postgres was down: slowest ${Math.max(...starts.map((s) => s.ms)).toFixed(0)} ms (connect timeout ${CONNECT_TIMEOUT_MS} ms)`);

    await postgres.start();
    await until('readiness', async () => ((await answered(`${coordinator.url}/health/ready`)).status === 200 ? true : undefined));
    const after = (await api.post('/v1/transactions?waitMs=30000', { definition: 'pair', input: {} })).body;
    expect(after.status).toBe('COMPLETED');
    // Nothing was accepted while Postgres was down: only the two transactions exist.
    const list = (await api.get('/v1/transactions?limit=10')).body.items.map((t: { id: string }) => t.id).sort();
    expect(list).toEqual([before.id, after.id].sort());
  });

  it('answers 503 UNAVAILABLE while Postgres hangs, and finishes the transactions it was running once Postgres carries on', async () => {
    await script(participant.url, { '/two': { default: { status: 200, delayMs: 1500 } } });
    const running = await Promise.all(Array.from({ length: 5 }, () => api.post('/v1/transactions', { definition: 'pair', input: {} })));
    for (const res of running) expect(res.status).toBe(201);
    // Every pooled connection has served, so the freeze catches some of them mid-query or idle.
    await new Promise((r) => setTimeout(r, 300));

    postgres.freeze();
    try {
      const answers = await Promise.all([
        ...Array.from({ length: 10 }, () => answered(`${coordinator.url}/v1/transactions`, { method: 'POST', body: { definition: 'pair', input: {} } })),
        answered(`${coordinator.url}/v1/transactions/${running[0].body.id}`),
        // (Definitions are served from the cache while its LISTEN connection stands.)
      ]);
      for (const res of answers) {
        expect({ status: res.status, code: res.body.error?.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect((await answered(`${coordinator.url}/health/ready`)).status).toBe(503);
      expect((await answered(`${coordinator.url}/health/live`)).status).toBe(200);
      console.log(
        `503 answers while Postgres hung: slowest ${Math.max(...answers.map((a) => a.ms)).toFixed(0)} ms (query timeout ${QUERY_TIMEOUT_MS} ms, connect timeout ${CONNECT_TIMEOUT_MS} ms)`,
      );
    } finally {
      postgres.thaw();
    }

    await until('readiness', async () => ((await answered(`${coordinator.url}/health/ready`)).status === 200 ? true : undefined));
    for (const res of running) expect((await api.settle(res.body.id, 60_000)).status).toBe('COMPLETED');
    expect((await api.post('/v1/transactions?waitMs=30000', { definition: 'pair', input: {} })).body.status).toBe('COMPLETED');
    expect(coordinator.logs()).not.toContain('unhandled error');
  });
});

const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

describe('backpressure: Redis unreachable', () => {
  let redis: RedisProcess;
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;

  beforeAll(async () => {
    redis = await startRedis();
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'backpressure_redis', env: { REDIS_URL: redis.url } });
    api = new Api(coordinator.url);
  }, 120_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
    await redis?.stop();
  });

  it('accepts starts while Redis is down, says so in accord_redis_up and readiness, and runs them once it is back', async () => {
    const spec = { type: 'saga', steps: [{ name: 'one', action: { url: `${participant.url}/one` } }, { name: 'two', action: { url: `${participant.url}/two` } }] };
    expect((await api.post('/v1/transactions?waitMs=30000', { spec, input: {} })).body.status).toBe('COMPLETED');
    expect(metric((await api.get('/metrics')).body, 'accord_redis_up')).toBe(1);

    await redis.kill('SIGKILL');
    const started = await Promise.all(Array.from({ length: 5 }, () => api.post('/v1/transactions', { spec, input: {} })));
    for (const res of started) expect({ status: res.status, txStatus: res.body.status }).toEqual({ status: 201, txStatus: 'RUNNING' });
    const ready = await answered(`${coordinator.url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(ready.body.details.postgres).toEqual({ status: 'up' });
    expect(ready.body.details.redis).toEqual({ status: 'down', error: expect.any(String) });
    await until('accord_redis_up 0', async () => (metric((await api.get('/metrics')).body, 'accord_redis_up') === 0 ? true : undefined));
    const waiting = await Promise.all(started.map((res) => api.get(`/v1/transactions/${res.body.id}`)));
    for (const res of waiting) expect(res.body.status).toBe('RUNNING');

    await redis.restart();
    for (const res of started) expect((await api.settle(res.body.id, 60_000)).status).toBe('COMPLETED');
    expect(metric((await api.get('/metrics')).body, 'accord_redis_up')).toBe(1);
    expect((await answered(`${coordinator.url}/health/ready`)).body.details.redis).toEqual({ status: 'up' });
  });
});

describe('backpressure: MAX_IN_FLIGHT', () => {
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'backpressure_max', env: { MAX_IN_FLIGHT: '3' } });
    api = new Api(coordinator.url);
  }, 120_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('answers a start beyond MAX_IN_FLIGHT unsettled transactions with 429 OVERLOADED and Retry-After, a replay still with its transaction', async () => {
    await script(participant.url, { '/slow': { default: { status: 200, delayMs: 3000 } } });
    const spec = { type: 'saga', steps: [{ name: 'slow', action: { url: `${participant.url}/slow` } }] };
    const admitted = [];
    for (let i = 0; i < 3; i++) admitted.push(await api.post('/v1/transactions', { spec, input: {}, idempotencyKey: `max-${i}` }));
    for (const res of admitted) expect(res.status).toBe(201);
    const refused = await api.post('/v1/transactions', { spec, input: {}, idempotencyKey: 'max-3' });
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 429,
      body: { error: { code: 'OVERLOADED', message: expect.any(String), details: [] } },
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // A replay adds nothing: it is answered with its transaction even at the limit.
    const replay = await api.post('/v1/transactions', { spec, input: {}, idempotencyKey: 'max-0' });
    expect({ status: replay.status, id: replay.body.id }).toEqual({ status: 200, id: admitted[0].body.id });
    // The refused start left nothing behind.
    expect((await api.get('/v1/transactions?idempotencyKey=max-3')).body.items).toEqual([]);

    for (const res of admitted) expect((await api.settle(res.body.id)).status).toBe('COMPLETED');
    await until('a start admitted again', async () => {
      const res = await api.post('/v1/transactions', { spec, input: {}, idempotencyKey: 'max-3' });
      return res.status === 201 ? res : undefined;
    });
  });
});
