/**
 * What the web console reads and does through the public API: the list's
 * filters (definition, creation time, id prefix, idempotency key) and the
 * counts by status, every version of a definition, each step's
 * dependencies, and an abort's note. Bad filters are a 400 naming the
 * parameter.
 */
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { script, startParticipant, type ParticipantProcess } from '../support/participant-process';

describe('the API behind the console', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;
  /** Started in this order: early, middle, late, stuck. */
  const ids: { early: string[]; middle: string; late: string[]; stuck: string } = { early: [], middle: '', late: [], stuck: '' };
  /** When the middle one was created. */
  let middle: string;

  const saga = (name: string, extra: Record<string, unknown> = {}) => ({
    name,
    type: 'saga',
    retry: { maxAttempts: 1 },
    steps: [
      { name: 'reserve', input: { sku: '{{input.sku}}' }, action: { url: `${participant.url}/${name}/reserve` }, compensation: { url: `${participant.url}/${name}/release` } },
      { name: 'notify', dependsOn: [], action: { url: `${participant.url}/${name}/notify` } },
      { name: 'charge', dependsOn: ['reserve', 'notify'], action: { url: `${participant.url}/${name}/charge` } },
    ],
    ...extra,
  });
  const start = async (definition: string, idempotencyKey?: string) => {
    const res = await api.post('/v1/transactions?waitMs=20000', { definition, input: { sku: 'sku-1' }, idempotencyKey });
    expect(res.status).toBe(201);
    return res.body as { id: string; status: string; createdAt: string };
  };
  const list = async (query: string) => {
    const res = await api.get(`/v1/transactions?${query}`);
    expect(res.status).toBe(200);
    return (res.body.items as { id: string }[]).map((t) => t.id);
  };

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'console-api' });
    api = new Api(coordinator.url);
    await script(participant.url, { '/stuck/charge': { default: { status: 409 } }, '/stuck/release': { default: { status: 400 } } });
    for (const name of ['shop', 'stuck']) expect((await api.post('/v1/definitions', saga(name))).status).toBe(201);
    for (let i = 0; i < 2; i++) ids.early.push((await start('shop', `early-${i}`)).id);
    const theMiddleOne = await start('shop', 'the-middle-one');
    ids.middle = theMiddleOne.id;
    middle = theMiddleOne.createdAt;
    for (let i = 0; i < 2; i++) ids.late.push((await start('shop')).id);
    const stuck = await start('stuck', 'stuck-order');
    expect(stuck.status).toBe('STUCK');
    ids.stuck = stuck.id;
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  describe('GET /v1/transactions filters', () => {
    it('narrows by creation time: from inclusive, to exclusive', async () => {
      expect(await list(`definition=shop&from=${encodeURIComponent(middle)}`)).toEqual([...ids.late].reverse().concat(ids.middle));
      const before = await list(`definition=shop&to=${encodeURIComponent(middle)}`);
      expect(before).toEqual([...ids.early].reverse());
      // Any offset is read as the instant it names: the same one, an hour ahead on the clock.
      const shifted = new Date(Date.parse(middle) + 3_600_000).toISOString().replace('Z', '+01:00');
      expect(await list(`definition=shop&to=${encodeURIComponent(shifted)}`)).toEqual(before);
    });

    it('finds a transaction by its whole id or its first hex digits, dashes or not', async () => {
      const id = ids.early[0];
      expect(await list(`id=${id}`)).toEqual([id]);
      expect(await list(`id=${id.toUpperCase()}`)).toEqual([id]);
      expect(await list(`id=${id.replace(/-/g, '')}`)).toEqual([id]);
      expect(await list(`id=${id.slice(0, 13)}`)).toContain(id);
      const all = [...ids.early, ids.middle, ...ids.late, ids.stuck];
      for (const prefix of ['0', 'f', id.slice(0, 1)]) {
        expect((await list(`id=${prefix}&limit=500`)).sort()).toEqual(all.filter((t) => t.startsWith(prefix)).sort());
      }
    });

    it('finds a transaction by its idempotency key, with the other filters', async () => {
      expect(await list('idempotencyKey=early-1')).toEqual([ids.early[1]]);
      expect(await list('idempotencyKey=stuck-order&status=STUCK')).toEqual([ids.stuck]);
      expect(await list('idempotencyKey=stuck-order&status=COMPLETED')).toEqual([]);
      expect(await list('idempotencyKey=nobody-used-this')).toEqual([]);
    });

    it('pages through a filtered list without losing or repeating a row', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await api.get(
          `/v1/transactions?definition=shop&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...res.body.items.map((t) => t.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toHaveLength(5);
      expect(new Set(seen).size).toBe(5);
      expect(seen.slice(0, 2)).toEqual([...ids.late].reverse());
    });
  });

  describe('GET /v1/transactions/counts', () => {
    it('counts every status, 0 included, under the same filters as the list', async () => {
      const all = await api.get('/v1/transactions/counts');
      expect(all.status).toBe(200);
      expect(all.body.counts).toEqual({
        RUNNING: 0, COMPENSATING: 0, COMPLETED: 5, COMPENSATED: 0, RESOLVED: 0, STUCK: 1,
        TRYING: 0, CONFIRMING: 0, CANCELLING: 0, CONFIRMED: 0, CANCELLED: 0,
      });
      expect(all.body.limit).toBe(10_000);
      expect((await api.get('/v1/transactions/counts?definition=stuck')).body.counts).toMatchObject({ COMPLETED: 0, STUCK: 1 });
      expect((await api.get(`/v1/transactions/counts?definition=shop&from=${encodeURIComponent(middle)}`)).body.counts.COMPLETED).toBe(3);
      expect((await api.get('/v1/transactions/counts?idempotencyKey=early-0')).body.counts.COMPLETED).toBe(1);
    });

    it('needs the transactions:read scope', async () => {
      const writer = await api.post('/v1/admin/api-keys', { name: 'console-api-writer', scopes: ['transactions:write'] });
      expect((await new Api(coordinator.url, writer.body.key).get('/v1/transactions/counts')).status).toBe(403);
      expect((await new Api(coordinator.url, null).get('/v1/transactions/counts')).status).toBe(401);
    });
  });

  it.each([
    ['from=yesterday', 'from'],
    ['from=2026-02-30T00:00:00Z', 'from'],
    ['from=0000-01-01T00:00:00Z', 'from'],
    ['to=2026-01-01', 'to'],
    ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ['id=not-hex', 'id'],
    ['id=-', 'id'],
    [`id=${'a'.repeat(33)}`, 'id'],
    ['idempotencyKey=has%20space', 'idempotencyKey'],
    ['idempotencyKey=', 'idempotencyKey'],
    ['definition=Not_A_Name', 'definition'],
    ['from=2026-01-01T00:00:00Z&from=2026-01-02T00:00:00Z', 'from'],
    ['colour=red', ''],
  ])('refuses %s with 400 naming the parameter, on the list and the counts', async (query, path) => {
    for (const route of ['/v1/transactions', '/v1/transactions/counts']) {
      const res = await api.get(`${route}?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
  });

  describe('GET /v1/definitions/{name}/versions', () => {
    it('lists every version, newest first, and pages on with ?before=', async () => {
      for (const description of ['second', 'third']) expect((await api.post('/v1/definitions', saga('shop', { description }))).status).toBe(201);
      const res = await api.get('/v1/definitions/shop/versions');
      expect(res.status).toBe(200);
      expect(res.body.items.map((d: { version: number; description?: string }) => [d.version, d.description])).toEqual([
        [3, 'third'],
        [2, 'second'],
        [1, undefined],
      ]);
      expect((await api.get('/v1/definitions/shop/versions?limit=1&before=3')).body.items.map((d: { version: number }) => d.version)).toEqual([2]);
      expect((await api.get('/v1/definitions/shop/versions?before=1')).body.items).toEqual([]);
    });

    it('answers 404 for a name never registered and 400 for a bad page', async () => {
      expect((await api.get('/v1/definitions/never-registered/versions')).body.error.code).toBe('DEFINITION_NOT_FOUND');
      expect((await api.get('/v1/definitions/NOT..A..NAME/versions')).status).toBe(404);
      for (const query of ['limit=0', 'limit=501', 'before=zero', 'before=0', 'page=2']) {
        expect((await api.get(`/v1/definitions/shop/versions?${query}`)).status).toBe(400);
      }
    });
  });

  describe('POST /v1/transactions/{id}/abort', () => {
    it('keeps the note in the audit log, with who aborted', async () => {
      await script(participant.url, { '/slow/reserve': { responses: [{ status: 200, delayMs: 1500 }] } });
      expect((await api.post('/v1/definitions', saga('slow'))).status).toBe(201);
      const running = (await api.post('/v1/transactions', { definition: 'slow', input: { sku: 'x' } })).body;
      for (const body of [{ note: '' }, { note: 7 }, { note: 'x'.repeat(4097) }, { note: 'ok', reason: 'extra' }]) {
        const refused = await api.post(`/v1/transactions/${running.id}/abort`, body);
        expect(refused.status).toBe(400);
        expect(refused.body.error.code).toBe('VALIDATION_FAILED');
      }
      expect((await api.get(`/v1/transactions/${running.id}`)).body.status).toBe('RUNNING');
      const aborted = await api.post(`/v1/transactions/${running.id}/abort`, { note: 'customer cancelled, OPS-3' });
      expect(aborted.status).toBe(202);
      expect((await api.settle(running.id)).status).toBe('COMPENSATED');
      const audit = (await api.get(`/v1/admin/audit?transactionId=${running.id}`)).body.items;
      expect(audit).toEqual([expect.objectContaining({ actor: 'admin-token', action: 'abort', note: 'customer cancelled, OPS-3' })]);
    });
  });

  describe('steps in the transaction view', () => {
    it('carry their dependencies as planned and the input they were sent', async () => {
      const view = (await api.get(`/v1/transactions/${ids.early[0]}`)).body;
      expect(view.steps.map((s: { name: string; dependsOn: string[] }) => [s.name, s.dependsOn])).toEqual([
        ['reserve', []],
        ['notify', []],
        ['charge', ['reserve', 'notify']],
      ]);
      expect(view.steps[0].input).toEqual({ sku: 'sku-1' });
      expect(view.steps[1].input).toEqual({ sku: 'sku-1' }); // no template: the transaction's input
    });

    it('carry them for an inline spec too, a step without dependsOn following the one before', async () => {
      const { name: _name, steps, ...spec } = saga('inline');
      const { dependsOn: _dependsOn, ...notify } = steps[1];
      const res = await api.post('/v1/transactions?waitMs=20000', { spec: { ...spec, steps: [steps[0], notify] }, input: { sku: 'sku-2' } });
      expect(res.body.steps.map((s: { name: string; dependsOn: string[] }) => [s.name, s.dependsOn])).toEqual([
        ['reserve', []],
        ['notify', ['reserve']],
      ]);
    });
  });
});
