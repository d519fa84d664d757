/**
 * The operators' repairs end to end: why a transaction stopped, retry with a
 * new input, skip going forward and rolling back, bulk retry's dry run, and
 * the audit log with what each action changed.
 */
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(60_000);

describe('operator actions, end to end', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;
  const retry = { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 3, jitter: false };
  const url = (path: string) => `${participant.url}${path}`;

  /** reserve -> charge; charge is refused and the release keeps failing: STUCK rolling back. */
  const stuckBackward = async (prefix: string) => {
    await script(participant.url, {
      [`/${prefix}/charge`]: { default: { status: 409, body: { reason: 'card declined' } } },
      [`/${prefix}/release`]: { default: { status: 500 } },
    });
    const spec = {
      type: 'saga',
      retry,
      steps: [
        { name: 'reserve', action: { url: url(`/${prefix}/reserve`) }, compensation: { url: url(`/${prefix}/release`) } },
        { name: 'charge', action: { url: url(`/${prefix}/charge`) } },
      ],
    };
    const tx = (await api.post('/v1/transactions?waitMs=20000', { spec, input: { order: prefix } })).body;
    expect(tx.status).toBe('STUCK');
    return tx;
  };

  /** reserve (pivot) -> charge -> notify; charge keeps answering 400: STUCK going forward. */
  const stuckForward = async (prefix: string) => {
    await script(participant.url, { [`/${prefix}/charge`]: { default: { status: 400 } } });
    const spec = {
      type: 'saga',
      retry,
      steps: [
        { name: 'reserve', pivot: true, action: { url: url(`/${prefix}/reserve`) } },
        { name: 'charge', action: { url: url(`/${prefix}/charge`) } },
        { name: 'notify', input: { receipt: '{{steps.charge.output.receipt}}' }, action: { url: url(`/${prefix}/notify`) } },
      ],
    };
    const tx = (await api.post('/v1/transactions?waitMs=20000', { spec, input: { amount: 1 } })).body;
    expect(tx.status).toBe('STUCK');
    return tx;
  };

  const auditOf = async (id: string) => (await api.get(`/v1/admin/audit?transactionId=${id}`)).body.items;

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'operator_actions' });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('says why a transaction rolled back and why it is stuck, and which attempt used up the budget', async () => {
    const tx = await stuckBackward('why');
    expect(tx.rollbackReason).toMatchObject({ step: 'charge', phase: 'action', message: expect.stringContaining('HTTP 409') });
    expect(tx.stuckReason).toMatchObject({ step: 'reserve', phase: 'compensation', message: expect.stringContaining('budget exhausted') });
    expect(tx.steps.find((s: any) => s.name === 'charge')).toMatchObject({ status: 'FAILED', lastError: expect.stringContaining('card declined') });
    const releases = (await api.get(`/v1/transactions/${tx.id}/attempts`)).body.items.filter((a: any) => a.phase === 'compensation');
    expect(releases.map((a: any) => a.budgetExhausted)).toEqual([false, false, true]);
    expect(releases[2].request).toEqual({ method: 'POST', url: url('/why/release') });
  });

  it('skips a stuck compensation as done and audits it with the status before and after', async () => {
    const tx = await stuckBackward('skipback');
    const refused = await api.post(`/v1/admin/transactions/${tx.id}/skip`, { step: 'reserve', output: { x: 1 }, note: 'released by hand' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('INVALID_STATE');
    const skipped = await api.post(`/v1/admin/transactions/${tx.id}/skip`, { step: 'reserve', note: 'released by hand' });
    expect(skipped.status).toBe(202);
    expect(skipped.body).toMatchObject({ status: 'COMPENSATED', stuckReason: null });
    expect(skipped.body.steps[0].status).toBe('COMPENSATED');
    expect(await auditOf(tx.id)).toEqual([
      expect.objectContaining({
        action: 'skip', actor: 'admin-token', transactionId: tx.id, note: 'released by hand',
        before: { status: 'STUCK' }, after: { status: 'COMPENSATED' },
      }),
    ]);
  });

  it('skips a stuck step going forward with an output, which the next step is sent', async () => {
    const tx = await stuckForward('skipfwd');
    const skipped = await api.post(`/v1/admin/transactions/${tx.id}/skip`, { step: 'charge', output: { receipt: 'R-7' }, note: 'charged at the till' });
    expect(skipped.status).toBe(202);
    const done = await api.settle(tx.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.steps.find((s: any) => s.name === 'charge')).toMatchObject({ status: 'SUCCEEDED', output: { receipt: 'R-7' } });
    const [notify] = await calls(participant.url, '/skipfwd/notify');
    expect((notify.body as any).input).toEqual({ receipt: 'R-7' });
  });

  it('retries with a new input, which the stuck step is sent from then on, and audits the input before and after', async () => {
    const tx = await stuckForward('newinput');
    await script(participant.url, { '/newinput/charge': { default: { status: 200, body: { receipt: 'R-8' } } } });
    const retried = await api.post(`/v1/admin/transactions/${tx.id}/retry`, { note: 'amount corrected', input: { amount: 2 } });
    expect(retried.status).toBe(202);
    expect((await api.settle(tx.id)).status).toBe('COMPLETED');
    const charges = await calls(participant.url, '/newinput/charge');
    expect((charges[0].body as any).input).toEqual({ amount: 1 });
    expect((charges[charges.length - 1].body as any).input).toEqual({ amount: 2 });
    const [reserve] = await calls(participant.url, '/newinput/reserve');
    expect((reserve.body as any).input).toEqual({ amount: 1 });
    expect(await auditOf(tx.id)).toEqual([
      expect.objectContaining({
        action: 'retry', note: 'amount corrected',
        before: { status: 'STUCK', input: { amount: 1 } }, after: { status: 'RUNNING', input: { amount: 2 } },
      }),
    ]);
  });

  it('bulk retry with dryRun counts what it would retry and changes nothing', async () => {
    const tx = await stuckBackward('dryrun');
    const dry = await api.post('/v1/admin/transactions/retry', { status: 'STUCK', dryRun: true });
    expect(dry.status).toBe(202);
    expect(dry.body.retried).toEqual([]);
    expect(dry.body.matched).toBeGreaterThanOrEqual(1);
    expect((await api.get(`/v1/transactions/${tx.id}`)).body.status).toBe('STUCK');
    expect(await auditOf(tx.id)).toEqual([]);
  });

  it('answers 409 for an action that does not apply and 400 for a bad request, changing nothing', async () => {
    const tx = await stuckBackward('bad');
    const before = (await api.get(`/v1/transactions/${tx.id}`)).body;
    const cases: [string, unknown, number, string][] = [
      [`/v1/admin/transactions/${tx.id}/skip`, { step: 'charge', note: 'not stuck' }, 409, 'INVALID_STATE'],
      [`/v1/admin/transactions/${tx.id}/skip`, { step: 'nope', note: 'no such step' }, 409, 'INVALID_STATE'],
      [`/v1/admin/transactions/${tx.id}/skip`, { step: 'reserve' }, 400, 'VALIDATION_FAILED'],
      [`/v1/admin/transactions/${tx.id}/skip`, { step: 'reserve', note: 'x', extra: 1 }, 400, 'VALIDATION_FAILED'],
      [`/v1/admin/transactions/${tx.id}/retry`, { note: 7 }, 400, 'VALIDATION_FAILED'],
      ['/v1/admin/transactions/00000000-0000-4000-8000-000000000000/skip', { step: 'reserve', note: 'x' }, 404, 'TRANSACTION_NOT_FOUND'],
      ['/v1/admin/transactions/retry', { status: 'STUCK', dryRun: 'yes' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [path, body, status, code] of cases) {
      const res = await api.post(path, body);
      expect([path, body, res.status, res.body.error?.code]).toEqual([path, body, status, code]);
    }
    expect((await api.get('/v1/admin/audit?transactionId=not-a-uuid')).status).toBe(400);
    const after = (await api.get(`/v1/transactions/${tx.id}`)).body;
    expect(after).toEqual(before);
    expect(await auditOf(tx.id)).toEqual([]);
  });
});
