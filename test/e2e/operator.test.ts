import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

describe('operators: STUCK transactions, retry, resolve and the audit log', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;

  const definition = (name: string) => ({
    name,
    type: 'saga',
    retry: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 3, jitter: false },
    steps: [
      { name: 'reserve', action: { url: `${participant.url}/${name}/reserve` }, compensation: { url: `${participant.url}/${name}/release` } },
      { name: 'charge', action: { url: `${participant.url}/${name}/charge` } },
    ],
  });

  /** A saga whose charge is refused and whose compensation keeps failing. */
  const stuckSaga = async (name: string) => {
    await script(participant.url, {
      [`/${name}/charge`]: { responses: [], default: { status: 409 } },
      [`/${name}/release`]: { responses: [], default: { status: 500 } },
    });
    expect((await api.post('/v1/definitions', definition(name))).status).toBe(201);
    const started = await api.post('/v1/transactions?waitMs=20000', { definition: name, input: {} });
    return started.body;
  };

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'operator' });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('parks a saga as STUCK when a compensation exhausts its budget, and resumes it with a fresh budget once fixed', async () => {
    const tx = await stuckSaga('broken');
    expect(tx.status).toBe('STUCK');
    expect(tx.steps[0]).toMatchObject({ status: 'STUCK', phase: 'compensation', attempts: 3 });
    expect(tx.steps[0].lastError).toMatch(/budget exhausted.*HTTP 500/);
    expect(await calls(participant.url, '/broken/release')).toHaveLength(3);

    const metrics = await api.get('/metrics');
    expect(metrics.body).toMatch(/^accord_transactions_stuck [1-9]/m);

    await script(participant.url, { '/broken/release': { responses: [], default: { status: 200 } } });
    const retried = await api.post(`/v1/admin/transactions/${tx.id}/retry`, { note: 'inventory fixed' });
    expect(retried.status).toBe(202);
    const done = await api.settle(tx.id);
    expect(done.status).toBe('COMPENSATED');
    const releases = await calls(participant.url, '/broken/release');
    expect(releases).toHaveLength(4);
    expect(releases[3].headers['idempotency-key']).toBe(`${tx.id}:reserve:compensation`);
    expect(releases[3].headers['x-accord-attempt']).toBe('4');
  });

  it('closes a STUCK saga as RESOLVED by hand with a note', async () => {
    const tx = await stuckSaga('manual');
    expect(tx.status).toBe('STUCK');
    const resolved = await api.post(`/v1/admin/transactions/${tx.id}/resolve`, { note: 'refunded by hand, ticket OPS-12' });
    expect(resolved.status).toBe(202);
    expect(resolved.body.status).toBe('RESOLVED');
    expect((await api.get(`/v1/transactions/${tx.id}`)).body.finishedAt).toEqual(expect.any(String));
    const again = await api.post(`/v1/admin/transactions/${tx.id}/retry`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATE');
  });

  it('records both operator actions in the audit log, newest first', async () => {
    const audit = await api.get('/v1/admin/audit');
    expect(audit.status).toBe(200);
    const actions = audit.body.items.map((e: { action: string; note: string; actor: string }) => [e.action, e.note, e.actor]);
    expect(actions).toEqual([
      ['resolve', 'refunded by hand, ticket OPS-12', 'admin-token'],
      ['retry', 'inventory fixed', 'admin-token'],
    ]);
  });

  it('retries STUCK sagas in bulk and audits each one', async () => {
    const a = await stuckSaga('bulk-a');
    const b = await stuckSaga('bulk-b');
    await script(participant.url, {
      '/bulk-a/release': { responses: [], default: { status: 200 } },
      '/bulk-b/release': { responses: [], default: { status: 200 } },
    });
    const res = await api.post('/v1/admin/transactions/retry', { status: 'STUCK', limit: 10 });
    expect(res.status).toBe(202);
    expect(res.body.retried).toEqual(expect.arrayContaining([a.id, b.id]));
    expect((await api.settle(a.id)).status).toBe('COMPENSATED');
    expect((await api.settle(b.id)).status).toBe('COMPENSATED');
    const audit = await api.get('/v1/admin/audit?limit=2');
    expect(audit.body.items.map((e: { target: string }) => e.target).sort()).toEqual([a.id, b.id].sort());
  });
});
