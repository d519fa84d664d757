/**
 * How the coordinator serves the web console and the queue view: the
 * console's files openly under /console with a strict content security
 * policy (and nothing of it on the API or /docs), and bull-board at
 * /admin/queues for the admin scope only, by bearer header or by the
 * short-lived session cookie the console obtains for the browser.
 */
import { request } from 'undici';
import { Api, ADMIN_TOKEN, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

describe('serving the console and the queue view', () => {
  let coordinator: CoordinatorProcess;
  let api: Api;
  const keys: Record<'admin' | 'reader', { id: string; key: string }> = {} as never;

  const fetchRaw = async (path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> => {
    const res = await request(`${coordinator.url}${path}`, { method: (options.method ?? 'GET') as 'GET', headers: options.headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  /** The session cookie a POST /admin/queues/session set, as a Cookie header. */
  const sessionOf = (res: Raw) => ({ cookie: String(res.headers['set-cookie']).split(';')[0] });

  beforeAll(async () => {
    coordinator = await startCoordinator({ label: 'console-serving' });
    api = new Api(coordinator.url);
    for (const [name, scopes] of [['admin', ['admin']], ['reader', ['transactions:read']]] as const) {
      const created = await api.post('/v1/admin/api-keys', { name: `serving-${name}`, scopes });
      expect(created.status).toBe(201);
      keys[name] = { id: created.body.id, key: created.body.key };
    }
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
  });

  describe('/console', () => {
    it('serves the page openly, with a content security policy that allows no inline code', async () => {
      const page = await fetchRaw('/console/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['x-frame-options']).toBe('DENY');
      // Every script and stylesheet is a file of this origin.
      const scripts = [...page.text.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const tag of scripts) expect(tag).toMatch(/ src="\/console\/assets\/[^"]+\.js"/);
      expect(page.text).not.toMatch(/<style|style="/);
      for (const [, asset] of page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)) {
        const file = await fetchRaw(asset);
        expect(file.status).toBe(200);
        expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      }
    });

    it('answers every page path of the console with the page, and a missing asset with 404', async () => {
      for (const path of ['/console/transactions/abc', '/console/definitions/checkout', '/console/audit?transactionId=x']) {
        const page = await fetchRaw(path);
        expect(page.status).toBe(200);
        expect(page.text).toContain('<div id="app">');
      }
      expect((await fetchRaw('/console')).headers.location).toBe('/console/');
      const missing = await fetchRaw('/console/assets/missing.js');
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.text).error.code).toBe('NOT_FOUND');
    });

    it('tells the page whether the API asks for a key', async () => {
      const settings = await fetchRaw('/console/settings.json');
      expect(JSON.parse(settings.text)).toEqual({ authRequired: true });
    });

    it('keeps its policy off the API and off /docs, which still works', async () => {
      const docs = await fetchRaw('/docs');
      expect(docs.status).toBe(200);
      expect(docs.headers['content-security-policy']).toBeUndefined();
      const json = await fetchRaw('/v1/transactions', { headers: bearer(ADMIN_TOKEN) });
      expect(json.status).toBe(200);
      expect(json.headers['content-security-policy']).toBeUndefined();
    });
  });

  describe('/admin/queues', () => {
    it('answers 401 without a credential and 403 without the admin scope', async () => {
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        expect((await fetchRaw(path)).status).toBe(401);
        expect((await fetchRaw(path, { headers: bearer('accord_' + 'A'.repeat(43)) })).status).toBe(401);
        const reader = await fetchRaw(path, { headers: bearer(keys.reader.key) });
        expect(reader.status).toBe(403);
        expect(JSON.parse(reader.text).error.code).toBe('FORBIDDEN');
      }
      expect((await fetchRaw('/admin/queues/session', { method: 'POST' })).status).toBe(401);
      expect((await fetchRaw('/admin/queues/session', { method: 'POST', headers: bearer(keys.reader.key) })).status).toBe(403);
    });

    it('shows the step queue, read-only, to a bearer with the admin scope', async () => {
      const page = await fetchRaw('/admin/queues', { headers: bearer(keys.admin.key) });
      expect(page.status).toBe(200);
      expect(page.text).toContain('Accord queues');
      expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
      const queues = JSON.parse((await fetchRaw('/admin/queues/api/queues', { headers: bearer(ADMIN_TOKEN) })).text);
      expect(queues.queues.map((q: { name: string; readOnlyMode: boolean }) => [q.name, q.readOnlyMode])).toEqual([['steps', true]]);
      const retry = await fetchRaw('/admin/queues/api/queues/steps/retry/failed', { method: 'PUT', headers: bearer(ADMIN_TOKEN) });
      expect(retry.status).toBe(405);
    });

    it('opens for a session cookie that holds no key, lasts minutes and dies with the key', async () => {
      const opened = await fetchRaw('/admin/queues/session', { method: 'POST', headers: bearer(keys.admin.key) });
      expect(opened.status).toBe(204);
      const cookie = String(opened.headers['set-cookie']);
      expect(cookie).toMatch(/^accord_queues=[A-Za-z0-9_-]+;/);
      expect(cookie).toContain('Max-Age=900');
      expect(cookie).toContain('Path=/admin/queues');
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).not.toContain(keys.admin.key.slice('accord_'.length, 20));
      const session = sessionOf(opened);
      expect((await fetchRaw('/admin/queues', { headers: session })).status).toBe(200);
      expect((await fetchRaw('/admin/queues/api/queues', { headers: session })).status).toBe(200);

      // An altered cookie is nobody's.
      const value = session.cookie.split('=')[1];
      const altered = `accord_queues=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
      expect((await fetchRaw('/admin/queues', { headers: { cookie: altered } })).status).toBe(401);

      // Revoking the key ends its sessions too.
      expect((await api.call('DELETE', `/v1/admin/api-keys/${keys.admin.id}`)).status).toBe(204);
      expect((await fetchRaw('/admin/queues', { headers: session })).status).toBe(401);
    });

    it('forgets the session on sign-out', async () => {
      const closed = await fetchRaw('/admin/queues/session', { method: 'DELETE' });
      expect(closed.status).toBe(204);
      expect(String(closed.headers['set-cookie'])).toMatch(/^accord_queues=;.*Expires=Thu, 01 Jan 1970/);
    });
  });
});
