/**
 * Credentials, against real coordinator processes: with ADMIN_TOKEN every
 * /v1 route needs the bearer token (401 otherwise) while health, metrics and
 * the API docs stay open; without it auth is off outside production, with a
 * warning; in production the coordinator refuses to start without it.
 */
import { request } from 'undici';
import { ADMIN_TOKEN, Api, runCoordinatorUntilExit, startCoordinator, type ApiResponse, type CoordinatorProcess } from '../support/coordinator-process';
import { startParticipant, type ParticipantProcess } from '../support/participant-process';
import { registerSagaFixtures, twoStepSaga } from '../support/saga-fixtures.spec-kit';
import { createTestDatabase } from '../support/test-env';

jest.setTimeout(90_000);

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

interface Route {
  family: string;
  method: 'GET' | 'POST';
  path: () => string;
  body?: () => unknown;
}

function expectUnauthorized(res: ApiResponse, route: string): void {
  expect({ route, status: res.status, body: res.body }).toEqual({
    route,
    status: 401,
    body: { error: { code: 'UNAUTHORIZED', message: expect.any(String), details: [] } },
  });
}

describe('authentication with ADMIN_TOKEN', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;
  let anonymous: Api;
  /** A COMPLETED transaction. */
  let completedId: string;
  /** STUCK: its charge is refused and its compensation is misconfigured (400). */
  let stuckId: string;
  /** RUNNING: its only step keeps answering 503 and retries in ten minutes. */
  let runningId: string;

  const saga = (name: string, prefix: string) => twoStepSaga(participant.url, name, prefix);

  /** One route of every /v1 family, with a request that succeeds given the token. */
  const routes: Route[] = [
    { family: 'register a definition', method: 'POST', path: () => '/v1/definitions', body: () => saga('registered-later', 'later') },
    { family: 'list definitions', method: 'GET', path: () => '/v1/definitions' },
    { family: 'get a definition', method: 'GET', path: () => '/v1/definitions/auth-ok' },
    { family: 'get a definition version', method: 'GET', path: () => '/v1/definitions/auth-ok/versions/1' },
    { family: 'start a transaction', method: 'POST', path: () => '/v1/transactions', body: () => ({ definition: 'auth-ok', input: { n: 2 } }) },
    { family: 'list transactions', method: 'GET', path: () => '/v1/transactions' },
    { family: 'get a transaction', method: 'GET', path: () => `/v1/transactions/${completedId}` },
    { family: 'list attempts', method: 'GET', path: () => `/v1/transactions/${completedId}/attempts` },
    { family: 'abort a transaction', method: 'POST', path: () => `/v1/transactions/${runningId}/abort` },
    { family: 'retry a STUCK transaction', method: 'POST', path: () => `/v1/admin/transactions/${stuckId}/retry`, body: () => ({ note: 'auth test' }) },
    { family: 'retry in bulk', method: 'POST', path: () => '/v1/admin/transactions/retry', body: () => ({ status: 'STUCK', definition: 'nothing-stuck' }) },
    { family: 'resolve a STUCK transaction', method: 'POST', path: () => `/v1/admin/transactions/${stuckId}/resolve`, body: () => ({ note: 'closed by the auth test' }) },
    { family: 'read the audit log', method: 'GET', path: () => '/v1/admin/audit' },
  ];
  const send = (client: Api, route: Route, headers: Record<string, string> = {}) =>
    client.call(route.method, route.path(), route.method === 'POST' ? (route.body?.() ?? {}) : undefined, headers);

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'auth' });
    api = new Api(coordinator.url);
    anonymous = new Api(coordinator.url, null);
    const fixtures = await registerSagaFixtures(api, participant.url, 'auth');
    completedId = await fixtures.completedTransaction();
    stuckId = await fixtures.stuckTransaction();
    runningId = await fixtures.runningTransaction();
  }, 90_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  describe('without a credential', () => {
    it.each(routes.map((route) => ({ ...route })))('answers 401 UNAUTHORIZED to "$family"', async (route) => {
      expectUnauthorized(await send(anonymous, route), `${route.method} ${route.path()}`);
    });

    it('answers 401 before validating the request or looking anything up', async () => {
      expectUnauthorized(await anonymous.post('/v1/definitions', { name: 'Bad Name' }), 'invalid definition');
      expectUnauthorized(await anonymous.get(`/v1/transactions/${UNKNOWN_ID}`), 'unknown transaction');
      expectUnauthorized(await anonymous.get('/v1/definitions/nope'), 'unknown definition');
      expectUnauthorized(await anonymous.get('/v1/transactions?limit=0'), 'bad query');
      expectUnauthorized(await anonymous.post(`/v1/admin/transactions/${stuckId}/resolve`, {}), 'resolve without a note');
    });

    it('answers 401 before reading the body: malformed JSON, a foreign media type or an oversized body', async () => {
      expectUnauthorized(await anonymous.post('/v1/transactions', '{"definition": '), 'malformed JSON');
      expectUnauthorized(await anonymous.call('POST', '/v1/definitions', 'x', { 'content-type': 'text/plain' }), 'text/plain');
      expectUnauthorized(await anonymous.post('/v1/definitions', { pad: 'x'.repeat(2 * 1024 * 1024) }), 'oversized body');
    });

    it('changed nothing', async () => {
      expect((await api.get('/v1/definitions/registered-later')).status).toBe(404);
      expect((await api.get(`/v1/transactions/${stuckId}`)).body.status).toBe('STUCK');
      expect((await api.get(`/v1/transactions/${runningId}`)).body.status).toBe('RUNNING');
      expect((await api.get('/v1/admin/audit')).body.items).toEqual([]);
      const listed = await api.get('/v1/transactions?limit=500');
      expect(listed.body.items.map((t: { id: string }) => t.id).sort()).toEqual([completedId, stuckId, runningId].sort());
    });
  });

  describe('with a wrong credential', () => {
    const wrong = [
      ['another token', 'Bearer wrong-token-0123456789abcdef'],
      ['the token with an extra character', `Bearer ${ADMIN_TOKEN}x`],
      ['the token without its last character', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
      ['the token twice', `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`],
      ['the token without a scheme', ADMIN_TOKEN],
      ['the token as Basic credentials', `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`],
      ['another scheme', `Token ${ADMIN_TOKEN}`],
      ['a scheme without a token', 'Bearer'],
      ['an empty header', ''],
    ];

    it.each(wrong)('answers 401 to %s on every route', async (_, authorization) => {
      for (const route of routes) {
        expectUnauthorized(await send(anonymous, route, { authorization }), `${route.method} ${route.path()}`);
      }
    });

    it('changed nothing', async () => {
      expect((await api.get('/v1/definitions/registered-later')).status).toBe(404);
      expect((await api.get(`/v1/transactions/${stuckId}`)).body.status).toBe('STUCK');
      expect((await api.get(`/v1/transactions/${runningId}`)).body.status).toBe('RUNNING');
      expect((await api.get('/v1/admin/audit')).body.items).toEqual([]);
    });
  });

  describe('with the right credential', () => {
    it('answers 2xx on every /v1 route family', async () => {
      const statuses: Record<string, number> = {};
      for (const route of routes) {
        statuses[route.family] = (await send(api, route)).status;
        // The retried compensation is misconfigured again: back to STUCK before it can be resolved.
        if (route.family === 'retry a STUCK transaction') expect((await api.settle(stuckId)).status).toBe('STUCK');
      }
      expect(statuses).toEqual({
        'register a definition': 201,
        'list definitions': 200,
        'get a definition': 200,
        'get a definition version': 200,
        'start a transaction': 201,
        'list transactions': 200,
        'get a transaction': 200,
        'list attempts': 200,
        'abort a transaction': 202,
        'retry a STUCK transaction': 202,
        'retry in bulk': 202,
        'resolve a STUCK transaction': 202,
        'read the audit log': 200,
      });
      expect((await api.get(`/v1/transactions/${stuckId}`)).body.status).toBe('RESOLVED');
      const audit = (await api.get('/v1/admin/audit')).body.items;
      expect(audit.map((a: { action: string; target: string; actor: string }) => [a.action, a.target, a.actor])).toEqual([
        ['resolve', stuckId, 'admin-token'],
        ['retry', stuckId, 'admin-token'],
        ['abort', runningId, 'admin-token'],
      ]);
    });

    it('accepts the scheme in any case', async () => {
      expect((await anonymous.call('GET', '/v1/definitions', undefined, { authorization: `bearer ${ADMIN_TOKEN}` })).status).toBe(200);
      expect((await anonymous.call('GET', '/v1/definitions', undefined, { authorization: `BEARER ${ADMIN_TOKEN}` })).status).toBe(200);
    });

    it('answers 401 to a request naming two credentials, whichever comes first (Node would keep the first, a proxy may read the other)', async () => {
      for (const pair of [[`Bearer ${ADMIN_TOKEN}`, 'Bearer wrong-token-0123456789abcdef'], ['Bearer wrong-token-0123456789abcdef', `Bearer ${ADMIN_TOKEN}`], [`Bearer ${ADMIN_TOKEN}`, `Bearer ${ADMIN_TOKEN}`]]) {
        const res = await request(`${coordinator.url}/v1/definitions`, { headers: pair.flatMap((value) => ['authorization', value]) });
        expectUnauthorized({ status: res.statusCode, body: await res.body.json(), headers: res.headers }, pair.join(' + '));
      }
    });
  });

  describe('open routes', () => {
    it.each(['/health/live', '/health/ready', '/metrics', '/docs', '/docs-json'])('serves %s without a credential, and with a wrong one', async (path) => {
      expect((await anonymous.get(path)).status).toBe(200);
      expect((await anonymous.call('GET', path, undefined, { authorization: 'Bearer wrong-token-0123456789abcdef' })).status).toBe(200);
    });

    it('serves the OpenAPI document with bearer auth declared', async () => {
      const res = await anonymous.get('/docs-json');
      expect(res.body.openapi).toMatch(/^3\./);
      expect(res.body.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }) });
      expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/definitions', '/v1/transactions', '/v1/admin/audit']));
    });

    it('serves the docs UI as HTML', async () => {
      const res = await request(`${coordinator.url}/docs`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(await res.body.text()).toMatch(/swagger/i);
    });

    it('exposes the contract metrics in Prometheus text format', async () => {
      const res = await request(`${coordinator.url}/metrics`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      const text = await res.body.text();
      expect(text).toMatch(/^# TYPE accord_transactions_started_total counter$/m);
      expect(text).toMatch(/^# TYPE accord_transactions_finished_total counter$/m);
      expect(text).toMatch(/^# TYPE accord_transactions_stuck gauge$/m);
      expect(text).toMatch(/^# TYPE accord_step_attempt_duration_seconds histogram$/m);
      // Samples, not only declarations: this coordinator started and finished sagas and called steps.
      expect(text).toMatch(/^accord_transactions_started_total\{[^}]*type="saga"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^accord_transactions_finished_total\{[^}]*outcome="[A-Z]+"[^}]*\} [1-9]/m);
      expect(text).toMatch(/^accord_transactions_stuck(\{[^}]*\})? [0-9]+$/m);
      expect(text).toMatch(/^accord_step_attempt_duration_seconds_count\{[^}]*\} [1-9]/m);
      for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) expect(line).toMatch(/^accord_/);
    });
  });
});

describe('authentication without ADMIN_TOKEN outside production', () => {
  let coordinator: CoordinatorProcess;

  beforeAll(async () => {
    // An empty ADMIN_TOKEN counts as unset.
    coordinator = await startCoordinator({ label: 'auth-off', env: { ADMIN_TOKEN: '', NODE_ENV: 'test' } });
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
  });

  it('serves /v1 without a credential', async () => {
    const anonymous = new Api(coordinator.url, null);
    expect((await anonymous.get('/v1/definitions')).status).toBe(200);
    const registered = await anonymous.post('/v1/definitions', {
      name: 'open',
      type: 'saga',
      steps: [{ name: 'a', action: { url: 'http://127.0.0.1:9/a' } }],
    });
    expect(registered.status).toBe(201);
    expect((await anonymous.get('/v1/admin/audit')).status).toBe(200);
    expect((await anonymous.get('/v1/transactions')).status).toBe(200);
  });

  it('ignores a credential it cannot check', async () => {
    const res = await new Api(coordinator.url, 'any-token-at-all').get('/v1/definitions');
    expect(res.status).toBe(200);
  });

  it('warns at start-up that authentication is off', () => {
    const warning = coordinator
      .logs()
      .split('\n')
      .find((line) => line.includes('authentication is OFF'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 40, msg: expect.stringContaining('ADMIN_TOKEN is not set') });
  });
});

describe('start-up in production', () => {
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createTestDatabase('auth-prod');
  });

  const runUntilExit = (env: Record<string, string | undefined>) => runCoordinatorUntilExit(databaseUrl, env);

  it('refuses to start without ADMIN_TOKEN', async () => {
    const { code, output } = await runUntilExit({ NODE_ENV: 'production' });
    expect(code).not.toBe(0);
    expect(output).toContain('refusing to start in production without credentials: set ADMIN_TOKEN');
  });

  it('refuses to start with an empty ADMIN_TOKEN', async () => {
    const { code, output } = await runUntilExit({ NODE_ENV: 'production', ADMIN_TOKEN: '' });
    expect(code).not.toBe(0);
    expect(output).toContain('refusing to start in production without credentials: set ADMIN_TOKEN');
  });

  it('refuses to start with an ADMIN_TOKEN shorter than 16 characters', async () => {
    const { code, output } = await runUntilExit({ NODE_ENV: 'production', ADMIN_TOKEN: 'short' });
    expect(code).not.toBe(0);
    expect(output).toMatch(/ADMIN_TOKEN: must be at least 16 characters/);
  });
});
