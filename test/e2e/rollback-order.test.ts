/**
 * Rule 6 end to end: a rollback never overtakes an action in flight, and
 * compensates strictly in reverse dependency order — checked from the
 * participant's own log of arrival and answer times.
 *
 * The saga is the diamond a -> (b, c) -> d: b is refused at once while c's
 * action is still being processed.
 */
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';
import type { RecordedCall } from '../support/scriptable-participant';

jest.setTimeout(60_000);

describe('rollback while an action is in flight, end to end', () => {
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;
  const fast = { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 3, jitter: false };

  const diamond = (prefix: string, cAction: Record<string, unknown> = {}) => ({
    type: 'saga',
    retry: fast,
    steps: [
      { name: 'a', dependsOn: [] },
      { name: 'b', dependsOn: ['a'] },
      { name: 'c', dependsOn: ['a'], action: cAction },
      { name: 'd', dependsOn: ['b', 'c'] },
    ].map((s) => ({
      ...s,
      action: { url: `${participant.url}/${prefix}/${s.name}`, ...s.action },
      compensation: { url: `${participant.url}/${prefix}/${s.name}/undo` },
    })),
  });

  /** Starts the saga and returns its id at once. */
  const start = async (spec: unknown): Promise<string> => {
    const res = await api.post('/v1/transactions', { spec, input: {} });
    expect(res.status).toBe(201);
    return res.body.id;
  };

  const log = async (prefix: string): Promise<Map<string, RecordedCall[]>> => {
    const byPath = new Map<string, RecordedCall[]>();
    for (const call of await calls(participant.url)) {
      if (!call.path.startsWith(`/${prefix}/`)) continue;
      const key = call.path.slice(prefix.length + 2);
      byPath.set(key, [...(byPath.get(key) ?? []), call]);
    }
    return byPath;
  };

  /** Polls the transaction until `pred` holds. */
  const until = async (id: string, pred: (tx: any) => boolean, timeoutMs = 15_000): Promise<any> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tx = (await api.get(`/v1/transactions/${id}`)).body;
      if (pred(tx)) return tx;
      if (Date.now() > deadline) throw new Error(`condition not reached: ${JSON.stringify(tx)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stepOf = (tx: any, name: string) => tx.steps.find((s: { name: string }) => s.name === name);

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'rollback' });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it("sends c's compensation only after c's action answered, and a's only after c's compensation answered", async () => {
    await script(participant.url, {
      '/late/b': { responses: [{ status: 409, body: { reason: 'no stock' }, afterPath: '/late/c' }] },
      '/late/c': { responses: [{ status: 200, body: { id: 'c-1' }, delayMs: 3000 }] },
    });
    const id = await start(diamond('late'));

    // while c's action is in flight the step says it is awaited, and why
    const awaiting = await until(id, (tx) => tx.status === 'COMPENSATING');
    expect(stepOf(awaiting, 'c')).toMatchObject({ status: 'AWAITING', lastError: 'step "b" failed' });
    expect(stepOf(awaiting, 'a').status).toBe('COMPENSATING');

    const tx = await api.settle(id);
    expect(tx.status).toBe('COMPENSATED');
    expect(Object.fromEntries(tx.steps.map((s: any) => [s.name, s.status]))).toEqual({
      a: 'COMPENSATED', b: 'FAILED', c: 'COMPENSATED', d: 'SKIPPED',
    });
    expect(stepOf(tx, 'c').output).toEqual({ id: 'c-1' });

    const calls = await log('late');
    const [cAction] = calls.get('c')!;
    const [cUndo] = calls.get('c/undo')!;
    const [aUndo] = calls.get('a/undo')!;
    expect(cAction.respondedAt).not.toBeNull();
    expect(cUndo.receivedAt).toBeGreaterThanOrEqual(cAction.respondedAt!);
    expect(aUndo.receivedAt).toBeGreaterThanOrEqual(cUndo.respondedAt!);
    // b was refused on its first attempt: known not applied, not compensated; d never ran
    expect(calls.has('b/undo')).toBe(false);
    expect(calls.has('d')).toBe(false);
    expect(calls.get('c')).toHaveLength(1);

    // the attempt log records c's late answer as applied
    const attempts = (await api.get(`/v1/transactions/${id}/attempts`)).body.items;
    expect(attempts.find((a: any) => a.step === 'c' && a.phase === 'action')).toMatchObject({ outcome: 'ok', statusCode: 200, applied: true });
  });

  it("compensates c once its action timed out, when it hangs past its timeout", async () => {
    await script(participant.url, {
      '/hang/b': { responses: [{ status: 409, afterPath: '/hang/c' }] },
      '/hang/c': { responses: [{ hang: true }] },
    });
    const id = await start(diamond('hang', { timeoutMs: 1500 }));
    const tx = await api.settle(id);
    expect(tx.status).toBe('COMPENSATED');
    expect(stepOf(tx, 'c').status).toBe('COMPENSATED');

    const calls = await log('hang');
    const [cAction] = calls.get('c')!;
    const [cUndo] = calls.get('c/undo')!;
    const [aUndo] = calls.get('a/undo')!;
    expect(cAction.respondedAt).toBeNull();
    expect(cUndo.receivedAt - cAction.receivedAt).toBeGreaterThanOrEqual(1500);
    expect(aUndo.receivedAt).toBeGreaterThanOrEqual(cUndo.respondedAt!);
    expect(calls.get('c')).toHaveLength(1);
  });

  it('withdraws a retry still in backoff instead of waiting for it, and never sends it', async () => {
    await script(participant.url, {
      '/backoff/b': { responses: [{ status: 409, afterPath: '/backoff/c', delayMs: 100 }] },
      // attempt 1 may have applied; attempt 2 would be due 30 s later
      '/backoff/c': { responses: [{ status: 503, headers: { 'retry-after': '30' } }] },
    });
    const startedAt = Date.now();
    const id = await start(diamond('backoff'));
    const tx = await api.settle(id);
    expect(tx.status).toBe('COMPENSATED');
    expect(Date.now() - startedAt).toBeLessThan(15_000);
    expect(stepOf(tx, 'c').status).toBe('COMPENSATED');
    const attempts = (await api.get(`/v1/transactions/${id}/attempts`)).body.items;
    expect(attempts.filter((a: any) => a.step === 'c' && a.phase === 'action').map((a: any) => a.attempt)).toEqual([1]);

    const calls = await log('backoff');
    expect(calls.get('c')).toHaveLength(1);
    expect(calls.get('c/undo')).toHaveLength(1);
    expect(calls.get('a/undo')![0].receivedAt).toBeGreaterThanOrEqual(calls.get('c/undo')![0].respondedAt!);
  });

  it('awaits an action in flight when the saga is aborted, and compensates it after its answer', async () => {
    await script(participant.url, { '/abort/a': { responses: [{ status: 200, delayMs: 3000 }] } });
    const id = await start(diamond('abort'));
    const deadline = Date.now() + 10_000;
    while ((await calls(participant.url, '/abort/a')).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const aborted = await api.post(`/v1/transactions/${id}/abort`);
    expect(aborted.status).toBe(202);
    expect(stepOf(aborted.body, 'a')).toMatchObject({ status: 'AWAITING', lastError: 'aborted by admin-token' });
    const tx = await api.settle(id);
    expect(tx.status).toBe('COMPENSATED');
    const received = await log('abort');
    expect(received.get('a/undo')![0].receivedAt).toBeGreaterThanOrEqual(received.get('a')![0].respondedAt!);
  });

  it('takes an awaited call over after its worker died without sending it again, and compensates it', async () => {
    // a coordinator of its own: it is killed in the middle
    const env = { LEASE_MARGIN_MS: '300' };
    let own = await startCoordinator({ label: 'rollback_crash', env });
    try {
      await script(participant.url, {
        '/crash/b': { responses: [{ status: 409, afterPath: '/crash/c' }] },
        '/crash/c': { responses: [{ hang: true }] },
      });
      const ownApi = new Api(own.url);
      const res = await ownApi.post('/v1/transactions', { spec: diamond('crash', { timeoutMs: 2000 }), input: {} });
      const id = res.body.id as string;
      const deadline = Date.now() + 15_000;
      for (;;) {
        const tx = (await ownApi.get(`/v1/transactions/${id}`)).body;
        if (stepOf(tx, 'c').status === 'AWAITING') break;
        if (Date.now() > deadline) throw new Error(`c never awaited: ${JSON.stringify(tx)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      await own.kill('SIGKILL');
      own = await startCoordinator({ label: 'rollback_crash', databaseUrl: own.databaseUrl, queuePrefix: own.queuePrefix, env });
      const tx = await new Api(own.url).settle(id, 60_000);
      expect(tx.status).toBe('COMPENSATED');
      expect(stepOf(tx, 'c')).toMatchObject({ status: 'COMPENSATED' });

      const calls = await log('crash');
      expect(calls.get('c')).toHaveLength(1);
      expect(calls.get('c/undo')).toHaveLength(1);
      const attempts = (await new Api(own.url).get(`/v1/transactions/${id}/attempts`)).body.items;
      expect(attempts.filter((a: any) => a.step === 'c' && a.phase === 'action')).toEqual([
        expect.objectContaining({ outcome: 'retry', applied: true, error: expect.stringContaining('lease ran out') }),
      ]);
    } finally {
      await own.stop();
    }
  });
});
