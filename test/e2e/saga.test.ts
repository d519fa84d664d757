import { createHmac } from 'node:crypto';
import { Client } from 'pg';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

const SECRET = 'e2e-signing-secret-0123456789';

describe('saga transactions, end to end', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;
  const url = (path: string) => `${participant.url}${path}`;
  const fast = { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3, jitter: false };

  const saga = (prefix: string, names: string[], extra: Record<string, unknown> = {}) => ({
    type: 'saga',
    retry: fast,
    ...extra,
    steps: names.map((name) => ({
      name,
      action: { url: url(`/${prefix}/${name}`) },
      compensation: { url: url(`/${prefix}/${name}/undo`) },
    })),
  });

  const run = async (spec: unknown, input: unknown = {}) => {
    const res = await api.post('/v1/transactions?waitMs=20000', { spec, input });
    expect(res.status).toBe(201);
    return res.body;
  };

  const paths = async (prefix: string) => (await calls(participant.url)).map((c) => c.path).filter((p) => p.startsWith(`/${prefix}/`));

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'saga', env: { SIGNING_SECRET: SECRET } });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('completes a three-step saga, calling the steps in order with the contract headers', async () => {
    const traceId = 'aa'.repeat(16);
    const res = await api.post(
      '/v1/transactions?waitMs=20000',
      { spec: saga('ok', ['a', 'b', 'c']), input: { n: 1 } },
      { traceparent: `00-${traceId}-${'bb'.repeat(8)}-01` },
    );
    expect(res.body.status).toBe('COMPLETED');
    expect(res.body.steps.map((s: { status: string }) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const received = (await calls(participant.url)).filter((c) => c.path.startsWith('/ok/'));
    expect(received.map((c) => c.path)).toEqual(['/ok/a', '/ok/b', '/ok/c']);
    for (const call of received) {
      const step = call.path.split('/')[2];
      expect(call.headers['idempotency-key']).toBe(`${res.body.id}:${step}:action`);
      expect(call.headers['x-accord-transaction']).toBe(res.body.id);
      expect(call.headers['x-accord-step']).toBe(step);
      expect(call.headers['x-accord-phase']).toBe('action');
      expect(call.headers['x-accord-attempt']).toBe('1');
      expect(call.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(call.body).toEqual({ transactionId: res.body.id, step, phase: 'action', attempt: 1, input: { n: 1 } });
    }
  });

  it('signs every participant call with HMAC-SHA256 over the timestamp and raw body', async () => {
    const tx = await run(saga('signed', ['a']));
    expect(tx.status).toBe('COMPLETED');
    const [call] = (await calls(participant.url)).filter((c) => c.path === '/signed/a');
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(call.headers['x-accord-signature'] as string);
    expect(match).not.toBeNull();
    const expected = createHmac('sha256', SECRET).update(`${match![1]}.${JSON.stringify(call.body)}`).digest('hex');
    expect(match![2]).toBe(expected);
    expect(Math.abs(Number(match![1]) - Date.now() / 1000)).toBeLessThan(300);
  });

  it('compensates steps 2 and 1 in that order when step 3 is refused with 409', async () => {
    await script(participant.url, { '/refuse/c': { responses: [{ status: 409, body: { reason: 'no stock' } }] } });
    const tx = await run(saga('refuse', ['a', 'b', 'c']));
    expect(tx.status).toBe('COMPENSATED');
    expect(tx.steps.map((s: { status: string }) => s.status)).toEqual(['COMPENSATED', 'COMPENSATED', 'FAILED']);
    expect(await paths('refuse')).toEqual(['/refuse/a', '/refuse/b', '/refuse/c', '/refuse/b/undo', '/refuse/a/undo']);
    const undo = (await calls(participant.url)).find((c) => c.path === '/refuse/b/undo')!;
    expect(undo.headers['idempotency-key']).toBe(`${tx.id}:b:compensation`);
    expect(undo.body).toMatchObject({ phase: 'compensation', step: 'b' });
  });

  it('retries 503, 503, 200 as three attempts with the same Idempotency-Key', async () => {
    await script(participant.url, { '/flaky/a': { responses: [{ status: 503 }, { status: 503 }] } });
    const tx = await run(saga('flaky', ['a']));
    expect(tx.status).toBe('COMPLETED');
    expect(tx.steps[0].attempts).toBe(3);
    const attempts = (await calls(participant.url, '/flaky/a')).map((c) => c.headers);
    expect(attempts.map((h) => h['x-accord-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(attempts.map((h) => h['idempotency-key']))).toEqual(new Set([`${tx.id}:a:action`]));
    const log = await api.get(`/v1/transactions/${tx.id}/attempts`);
    expect(log.body.items.map((a: { outcome: string; statusCode: number }) => [a.outcome, a.statusCode])).toEqual([
      ['retry', 503],
      ['retry', 503],
      ['ok', 200],
    ]);
  });

  it('honours Retry-After before the next attempt', async () => {
    await script(participant.url, { '/later/a': { responses: [{ status: 429, headers: { 'retry-after': '1' } }] } });
    const tx = await run(saga('later', ['a']));
    expect(tx.status).toBe('COMPLETED');
    const [first, second] = await calls(participant.url, '/later/a');
    expect(second.receivedAt - first.respondedAt!).toBeGreaterThanOrEqual(900);
  });

  it('runs independent branches of a DAG in parallel and joins them', async () => {
    const slow = { responses: [{ status: 200, body: { done: true }, delayMs: 400 }] };
    await script(participant.url, { '/dag/left': slow, '/dag/right': slow });
    const spec = {
      type: 'saga',
      retry: fast,
      steps: [
        { name: 'start', action: { url: url('/dag/start') } },
        { name: 'left', dependsOn: ['start'], action: { url: url('/dag/left') } },
        { name: 'right', dependsOn: ['start'], action: { url: url('/dag/right') } },
        { name: 'join', dependsOn: ['left', 'right'], action: { url: url('/dag/join') } },
      ],
    };
    const tx = await run(spec);
    expect(tx.status).toBe('COMPLETED');
    const byPath = Object.fromEntries((await calls(participant.url)).filter((c) => c.path.startsWith('/dag/')).map((c) => [c.path, c]));
    const [left, right, join] = [byPath['/dag/left'], byPath['/dag/right'], byPath['/dag/join']];
    expect(left.receivedAt).toBeLessThan(right.respondedAt!);
    expect(right.receivedAt).toBeLessThan(left.respondedAt!);
    expect(join.receivedAt).toBeGreaterThanOrEqual(Math.max(left.respondedAt!, right.respondedAt!));
  });

  it("passes one step's output into the next step's input through templates", async () => {
    await script(participant.url, { '/data/reserve': { responses: [{ status: 200, body: { id: 'r-77', items: [1, 2] } }] } });
    const spec = {
      type: 'saga',
      retry: fast,
      steps: [
        { name: 'reserve', action: { url: url('/data/reserve') }, compensation: { url: url('/data/release') } },
        {
          name: 'charge',
          input: { amount: '{{input.total}}', reservation: '{{steps.reserve.output.id}}', note: 'order {{input.orderId}}', tx: '{{transaction.id}}' },
          action: { url: url('/data/charge') },
        },
      ],
    };
    const tx = await run(spec, { orderId: 'o-1', total: 42 });
    expect(tx.status).toBe('COMPLETED');
    expect(tx.steps[0].output).toEqual({ id: 'r-77', items: [1, 2] });
    const [charge] = await calls(participant.url, '/data/charge');
    expect((charge.body as { input: unknown }).input).toEqual({ amount: 42, reservation: 'r-77', note: 'order o-1', tx: tx.id });
  });

  it('stores an output Postgres could not take (NUL, lone surrogates, deep nesting) in a storable form', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200; i++) deep = [deep];
    await script(participant.url, { '/odd/a': { responses: [{ status: 200, body: { text: 'a\u0000b\ud800', deep } }] } });
    const tx = await run(saga('odd', ['a', 'b']));
    expect(tx.status).toBe('COMPLETED');
    expect(tx.steps[0].output.text).toBe('a\ufffdb\ufffd');
    expect(JSON.stringify(tx.steps[0].output.deep)).toContain('[truncated]');
  });

  it('starts once per idempotency key, even when the same start races, and refuses the key for another body', async () => {
    const def = await api.post('/v1/definitions', { name: 'idem', ...saga('idem', ['a']) });
    expect(def.status).toBe(201);
    const body = { definition: 'idem', input: { order: 1 }, idempotencyKey: 'order-1' };
    const racing = await Promise.all(Array.from({ length: 10 }, () => api.post('/v1/transactions', body)));
    const ids = new Set(racing.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
    expect(racing.filter((r) => r.status === 200)).toHaveLength(9);
    const viaHeader = await api.post('/v1/transactions', { definition: 'idem', input: { order: 1 } }, { 'idempotency-key': 'order-1' });
    expect(viaHeader.status).toBe(200);
    expect(viaHeader.body.id).toBe([...ids][0]);
    const reused = await api.post('/v1/transactions', { ...body, input: { order: 2 } });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await api.settle([...ids][0]);
    expect(await calls(participant.url, '/idem/a')).toHaveLength(1);
  });

  it('times out a hung participant, then compensates it and the steps before it', async () => {
    await script(participant.url, { '/hung/b': { responses: [], default: { status: 200, hang: true } } });
    const spec = saga('hung', ['a', 'b']);
    (spec.steps[1].action as Record<string, unknown>).timeoutMs = 300;
    const tx = await run({ ...spec, retry: { ...fast, maxAttempts: 2 } });
    expect(tx.status).toBe('COMPENSATED');
    expect(tx.steps[1].status).toBe('COMPENSATED');
    // compensated, it still says why: its action timed out
    expect(tx.steps[1].lastError).toMatch(/retry budget exhausted.*timed out/);
    expect(await paths('hung')).toEqual(['/hung/a', '/hung/b', '/hung/b', '/hung/b/undo', '/hung/a/undo']);
    const log = await api.get(`/v1/transactions/${tx.id}/attempts`);
    expect(log.body.items.filter((a: { step: string }) => a.step === 'b').map((a: { error: string }) => a.error)[0]).toMatch(/timed out/);
  });

  it('rolls back at the deadline a saga that is still running', async () => {
    await script(participant.url, { '/late/b': { responses: [{ status: 200, delayMs: 4000 }] } });
    const tx = await run(saga('late', ['a', 'b', 'c'], { timeoutMs: 1000 }));
    expect(tx.status).toBe('COMPENSATED');
    expect(tx.steps.map((s: { status: string }) => s.status)).toEqual(['COMPENSATED', 'COMPENSATED', 'SKIPPED']);
    expect(await paths('late')).not.toContain('/late/c');
  });

  it('aborts a running saga on request and refuses to abort a finished one', async () => {
    await script(participant.url, { '/abort/b': { responses: [{ status: 200, delayMs: 3000 }] } });
    const started = await api.post('/v1/transactions', { spec: saga('abort', ['a', 'b']) });
    for (let i = 0; i < 100 && (await calls(participant.url, '/abort/b')).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    const aborted = await api.post(`/v1/transactions/${started.body.id}/abort`);
    expect(aborted.status).toBe(202);
    expect(aborted.body.status).toBe('COMPENSATING');
    const tx = await api.settle(started.body.id);
    expect(tx.status).toBe('COMPENSATED');
    expect(await paths('abort')).toEqual(expect.arrayContaining(['/abort/a/undo', '/abort/b/undo']));
    const again = await api.post(`/v1/transactions/${started.body.id}/abort`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATE');
  });

  it('goes only forward after a pivot step: a later refusal parks the saga as STUCK without compensating', async () => {
    await script(participant.url, { '/pivot/c': { responses: [{ status: 422 }] } });
    const spec = saga('pivot', ['a', 'b', 'c']);
    (spec.steps[1] as Record<string, unknown>).pivot = true;
    const tx = await run(spec);
    expect(tx.status).toBe('STUCK');
    expect(tx.steps.map((s: { status: string }) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'STUCK']);
    expect((await paths('pivot')).filter((p) => p.endsWith('/undo'))).toEqual([]);
    const abort = await api.post(`/v1/transactions/${tx.id}/abort`);
    expect(abort.status).toBe(409);
  });

  it('pages through transactions created within the same millisecond without skipping any', async () => {
    const db = new Client({ connectionString: coordinator.databaseUrl });
    await db.connect();
    try {
      await db.query(`UPDATE transactions t SET created_at = '2001-01-01T00:00:00Z'::timestamptz + x.n * interval '300 microseconds'
        FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM transactions ORDER BY id LIMIT 3) x WHERE t.id = x.id`);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await api.get(`/v1/transactions?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...page.body.items.map((t: { id: string }) => t.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM transactions');
      expect(new Set(seen).size).toBe(rows[0].n);
      expect(seen).toHaveLength(rows[0].n);
    } finally {
      await db.end();
    }
  });

  it('lists transactions newest first with filters and a cursor', async () => {
    const first = await api.get('/v1/transactions?limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api.get(`/v1/transactions?limit=2&cursor=${first.body.nextCursor}`);
    const ids = [...first.body.items, ...second.body.items].map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(4);
    const created = [...first.body.items, ...second.body.items].map((t: { createdAt: string }) => t.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
    const compensated = await api.get('/v1/transactions?status=COMPENSATED&limit=100');
    expect(compensated.body.items.length).toBeGreaterThan(0);
    expect(compensated.body.items.every((t: { status: string }) => t.status === 'COMPENSATED')).toBe(true);
    const byDefinition = await api.get('/v1/transactions?definition=idem');
    expect(byDefinition.body.items.map((t: { definition: { name: string } }) => t.definition.name)).toEqual(['idem']);
  });
});
