/**
 * Scoped API keys against two coordinator processes on one database: created
 * and revoked through the admin API, shown once, stored as hashes; revoked
 * on one replica, refused by the other within a second; every /v1 route
 * answers 401 without a valid credential, 403 without its scope and 2xx with
 * it; the audit log names the key that acted.
 */
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { ADMIN_TOKEN, Api, startCoordinator, type ApiResponse, type CoordinatorProcess } from '../support/coordinator-process';
import { startParticipant, type ParticipantProcess } from '../support/participant-process';
import { registerSagaFixtures, twoStepSaga, type SagaFixtures } from '../support/saga-fixtures.spec-kit';

jest.setTimeout(120_000);

const KEY_PATTERN = /^accord_[A-Za-z0-9_-]{43}$/;
const SCOPES = ['transactions:write', 'transactions:read', 'definitions:write', 'admin'] as const;
type Scope = (typeof SCOPES)[number];

describe('API keys', () => {
  let a: CoordinatorProcess;
  let b: CoordinatorProcess;
  let participant: ParticipantProcess;
  let admin: Api;
  let counter = 0;
  const unique = (prefix: string) => `${prefix}-${++counter}`;

  let fixtures: SagaFixtures;

  async function createKey(api: Api, name: string, scopes: string[]): Promise<{ id: string; key: string }> {
    const res = await api.post('/v1/admin/api-keys', { name, scopes });
    expect(res.status).toBe(201);
    return res.body;
  }

  const stuckTransaction = () => fixtures.stuckTransaction();
  const runningTransaction = () => fixtures.runningTransaction();

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    a = await startCoordinator({ label: 'keys-a' });
    b = await startCoordinator({ label: 'keys-b', databaseUrl: a.databaseUrl, queuePrefix: a.queuePrefix });
    admin = new Api(a.url);
    fixtures = await registerSagaFixtures(admin, participant.url, 'keys');
  }, 120_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await participant?.stop();
  });

  describe('life cycle', () => {
    it('shows the key once, lists keys without key material, and stores only its SHA-256', async () => {
      const res = await admin.post('/v1/admin/api-keys', { name: 'ci-deploy', scopes: ['definitions:write', 'transactions:read'] });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'ci-deploy',
        scopes: ['definitions:write', 'transactions:read'],
        key: expect.stringMatching(KEY_PATTERN),
        createdAt: expect.any(String),
      });
      const { id, key } = res.body;
      const listed = await new Api(b.url).get('/v1/admin/api-keys');
      expect(listed.status).toBe(200);
      expect(listed.body.items).toContainEqual({ id, name: 'ci-deploy', scopes: ['definitions:write', 'transactions:read'], createdAt: res.body.createdAt });
      expect(JSON.stringify(listed.body)).not.toContain(key);
      expect(listed.body.items.every((k: object) => !('key' in k))).toBe(true);

      const db = new Client({ connectionString: a.databaseUrl });
      await db.connect();
      try {
        const { rows } = await db.query(`SELECT row_to_json(k)::text AS json, token_hash FROM api_keys k WHERE id = $1`, [id]);
        expect(rows[0].token_hash).toBe(createHash('sha256').update(key).digest('hex'));
        expect(rows[0].json).not.toContain(key);
        const all = await db.query(`SELECT string_agg(row_to_json(t)::text, '') AS dump FROM (SELECT * FROM audit) t`);
        expect(all.rows[0].dump ?? '').not.toContain(key);
      } finally {
        await db.end();
      }
      expect(a.logs() + b.logs()).not.toContain(key);
    });

    it.each([
      ['a missing name', { scopes: ['admin'] }],
      ['a bad name', { name: 'Bad Name', scopes: ['admin'] }],
      ['the bootstrap name', { name: 'admin-token', scopes: ['admin'] }],
      ['no scopes', { name: 'none', scopes: [] }],
      ['an unknown scope', { name: 'odd', scopes: ['root'] }],
      ['an extra field', { name: 'extra', scopes: ['admin'], key: 'chosen-by-me' }],
    ])('refuses %s with 400 and creates nothing', async (_, body) => {
      const before = (await admin.get('/v1/admin/api-keys')).body.items.length;
      const res = await admin.post('/v1/admin/api-keys', body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect((await admin.get('/v1/admin/api-keys')).body.items).toHaveLength(before);
    });

    it('refuses a second key in use with the same name (409), and frees the name on revocation', async () => {
      const first = await createKey(admin, 'twin', ['transactions:read']);
      const again = await admin.post('/v1/admin/api-keys', { name: 'twin', scopes: ['admin'] });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('API_KEY_NAME_TAKEN');
      expect((await admin.call('DELETE', `/v1/admin/api-keys/${first.id}`)).status).toBe(204);
      await createKey(admin, 'twin', ['admin']);
    });

    it('answers 404 to revoking an unknown, malformed or already revoked key', async () => {
      const key = await createKey(admin, 'short-lived', ['transactions:read']);
      expect((await admin.call('DELETE', `/v1/admin/api-keys/${key.id}`)).status).toBe(204);
      for (const id of [key.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
        const res = await admin.call('DELETE', `/v1/admin/api-keys/${id}`);
        expect({ id, status: res.status, code: res.body.error.code }).toEqual({ id, status: 404, code: 'API_KEY_NOT_FOUND' });
      }
    });

    it('makes a revoked key 401 on the other replica within a second', async () => {
      const { id, key } = await createKey(admin, 'revoked-elsewhere', ['transactions:read']);
      const onB = new Api(b.url, key);
      // Both replicas have it cached.
      expect((await onB.get('/v1/definitions')).status).toBe(200);
      expect((await new Api(a.url, key).get('/v1/definitions')).status).toBe(200);
      const revoked = await admin.call('DELETE', `/v1/admin/api-keys/${id}`);
      expect(revoked.status).toBe(204);
      const since = Date.now();
      let status = 200;
      while (status === 200) {
        status = (await onB.get('/v1/definitions')).status;
        if (status === 200) expect(Date.now() - since).toBeLessThan(1000);
      }
      expect(status).toBe(401);
      expect(Date.now() - since).toBeLessThan(1000);
      expect((await new Api(a.url, key).get('/v1/definitions')).status).toBe(401);
    });

    it('names the key in the audit log of every operator action it takes', async () => {
      const { key } = await createKey(admin, 'ops-alice', ['admin']);
      const alice = new Api(b.url, key);
      const stuck = await stuckTransaction();
      expect((await alice.post(`/v1/admin/transactions/${stuck}/resolve`, { note: 'refunded by hand' })).status).toBe(202);
      const created = await alice.post('/v1/admin/api-keys', { name: 'made-by-alice', scopes: ['transactions:read'] });
      expect(created.status).toBe(201);
      const audit = (await admin.get('/v1/admin/audit?limit=500')).body.items;
      const byTarget = (target: string) => audit.filter((e: { target: string }) => e.target === target).map((e: { action: string; actor: string }) => [e.action, e.actor]);
      expect(byTarget(stuck)).toEqual([['resolve', 'ops-alice']]);
      expect(byTarget(created.body.id)).toEqual([['api-key.create', 'ops-alice']]);
      expect(audit).toContainEqual(expect.objectContaining({ action: 'api-key.create', actor: 'admin-token', details: { name: 'ops-alice', scopes: ['admin'] } }));
    });
  });

  describe('scope matrix', () => {
    interface Route {
      method: 'GET' | 'POST' | 'DELETE';
      /** As in the OpenAPI document. */
      route: string;
      scope: Scope;
      success: number;
      /** A fresh request that succeeds for a credential with the scope. */
      prepare: () => { path: string; body?: unknown } | Promise<{ path: string; body?: unknown }>;
    }

    const routes: Route[] = [
      { method: 'POST', route: '/v1/definitions', scope: 'definitions:write', success: 201, prepare: () => ({ path: '/v1/definitions', body: twoStepSaga(participant.url, unique('matrix-def'), 'ok') }) },
      { method: 'GET', route: '/v1/definitions', scope: 'transactions:read', success: 200, prepare: () => ({ path: '/v1/definitions' }) },
      { method: 'GET', route: '/v1/definitions/{name}', scope: 'transactions:read', success: 200, prepare: () => ({ path: '/v1/definitions/keys-ok' }) },
      { method: 'GET', route: '/v1/definitions/{name}/versions', scope: 'transactions:read', success: 200, prepare: () => ({ path: '/v1/definitions/keys-ok/versions' }) },
      { method: 'GET', route: '/v1/definitions/{name}/versions/{version}', scope: 'transactions:read', success: 200, prepare: () => ({ path: '/v1/definitions/keys-ok/versions/1' }) },
      { method: 'POST', route: '/v1/transactions', scope: 'transactions:write', success: 201, prepare: () => ({ path: '/v1/transactions', body: { definition: 'keys-ok', input: {} } }) },
      { method: 'GET', route: '/v1/transactions', scope: 'transactions:read', success: 200, prepare: () => ({ path: '/v1/transactions' }) },
      { method: 'GET', route: '/v1/transactions/counts', scope: 'transactions:read', success: 200, prepare: () => ({ path: '/v1/transactions/counts' }) },
      { method: 'GET', route: '/v1/transactions/{id}', scope: 'transactions:read', success: 200, prepare: async () => ({ path: `/v1/transactions/${await stuckTransaction()}` }) },
      { method: 'GET', route: '/v1/transactions/{id}/attempts', scope: 'transactions:read', success: 200, prepare: async () => ({ path: `/v1/transactions/${await stuckTransaction()}/attempts` }) },
      { method: 'POST', route: '/v1/transactions/{id}/abort', scope: 'transactions:write', success: 202, prepare: async () => ({ path: `/v1/transactions/${await runningTransaction()}/abort` }) },
      { method: 'POST', route: '/v1/admin/transactions/retry', scope: 'admin', success: 202, prepare: () => ({ path: '/v1/admin/transactions/retry', body: { status: 'STUCK', definition: 'nothing-stuck' } }) },
      { method: 'POST', route: '/v1/admin/transactions/{id}/retry', scope: 'admin', success: 202, prepare: async () => ({ path: `/v1/admin/transactions/${await stuckTransaction()}/retry`, body: { note: 'matrix' } }) },
      { method: 'POST', route: '/v1/admin/transactions/{id}/skip', scope: 'admin', success: 202, prepare: async () => ({ path: `/v1/admin/transactions/${await stuckTransaction()}/skip`, body: { step: 'reserve', note: 'matrix' } }) },
      { method: 'POST', route: '/v1/admin/transactions/{id}/resolve', scope: 'admin', success: 202, prepare: async () => ({ path: `/v1/admin/transactions/${await stuckTransaction()}/resolve`, body: { note: 'matrix' } }) },
      { method: 'GET', route: '/v1/admin/audit', scope: 'admin', success: 200, prepare: () => ({ path: '/v1/admin/audit' }) },
      { method: 'POST', route: '/v1/admin/api-keys', scope: 'admin', success: 201, prepare: () => ({ path: '/v1/admin/api-keys', body: { name: unique('matrix-key'), scopes: ['transactions:read'] } }) },
      { method: 'GET', route: '/v1/admin/api-keys', scope: 'admin', success: 200, prepare: () => ({ path: '/v1/admin/api-keys' }) },
      { method: 'DELETE', route: '/v1/admin/api-keys/{id}', scope: 'admin', success: 204, prepare: async () => ({ path: `/v1/admin/api-keys/${(await createKey(admin, unique('doomed'), ['transactions:read'])).id}` }) },
    ];

    /** token null: no Authorization header. */
    const credentials: { label: string; token: () => string | null; scopes: readonly Scope[] }[] = [];
    const keys = new Map<string, string>();

    beforeAll(async () => {
      for (const scope of SCOPES) keys.set(scope, (await createKey(admin, `only-${scope.replace(':', '-')}`, [scope])).key);
      keys.set('revoked', (await createKey(admin, 'matrix-revoked', ['admin'])).key);
      const revoked = (await admin.get('/v1/admin/api-keys')).body.items.find((k: { name: string }) => k.name === 'matrix-revoked');
      expect((await admin.call('DELETE', `/v1/admin/api-keys/${revoked.id}`)).status).toBe(204);
      credentials.push(
        { label: 'no credential', token: () => null, scopes: [] },
        { label: 'an unknown key', token: () => `accord_${'A'.repeat(43)}`, scopes: [] },
        { label: 'a revoked admin key', token: () => keys.get('revoked')!, scopes: [] },
        ...SCOPES.map((scope) => ({ label: `a ${scope} key`, token: () => keys.get(scope)!, scopes: scope === 'admin' ? SCOPES : [scope] })),
        { label: 'ADMIN_TOKEN', token: () => ADMIN_TOKEN, scopes: SCOPES },
      );
    });

    it('covers every /v1 route of the OpenAPI document', async () => {
      const doc = (await admin.get('/docs-json')).body;
      const documented = Object.entries(doc.paths as Record<string, object>)
        .filter(([path]) => path.startsWith('/v1'))
        .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
        .sort();
      expect(routes.map((r) => `${r.method} ${r.route}`).sort()).toEqual(documented);
    });

    it('answers 401 without a valid credential, 403 without the scope and 2xx with it, on both replicas', async () => {
      const seen: string[] = [];
      const expected: string[] = [];
      for (const route of routes) {
        // The same prepared request for every refused credential: a 2xx with
        // the scope afterwards shows the refusals changed nothing.
        const target = await route.prepare();
        let targetUsed = false;
        for (const [i, credential] of credentials.entries()) {
          const allowed = credential.scopes.includes(route.scope);
          const request = allowed && targetUsed ? await route.prepare() : target;
          if (allowed) targetUsed = true;
          const api = new Api(i % 2 === 0 ? a.url : b.url, credential.token());
          const res: ApiResponse = await api.call(route.method, request.path, request.body ?? (route.method === 'POST' ? {} : undefined));
          const outcome = credential.token() === null || credential.scopes.length === 0 ? 401 : allowed ? route.success : 403;
          seen.push(`${route.method} ${route.route} with ${credential.label}: ${res.status}${res.status >= 400 ? ` ${res.body.error.code}` : ''}`);
          expected.push(
            `${route.method} ${route.route} with ${credential.label}: ${outcome}${outcome === 401 ? ' UNAUTHORIZED' : outcome === 403 ? ' FORBIDDEN' : ''}`,
          );
        }
      }
      expect(seen).toEqual(expected);
    });
  });
});
