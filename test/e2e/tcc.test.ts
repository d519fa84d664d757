import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

describe('TCC transactions, end to end', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;

  const tcc = (prefix: string, branches: string[], extra: Record<string, unknown> = {}) => ({
    type: 'tcc',
    retry: { initialDelayMs: 20, maxDelayMs: 100, maxAttempts: 4, jitter: false },
    ...extra,
    steps: branches.map((name) => ({
      name,
      dependsOn: [],
      try: { url: `${participant.url}/${prefix}/${name}/try` },
      confirm: { url: `${participant.url}/${prefix}/${name}/confirm` },
      cancel: { url: `${participant.url}/${prefix}/${name}/cancel` },
    })),
  });

  const run = async (spec: unknown, input: unknown = { amount: 5 }) => {
    const res = await api.post('/v1/transactions?waitMs=20000', { spec, input });
    expect(res.status).toBe(201);
    return res.body;
  };

  const phases = async (prefix: string) =>
    (await calls(participant.url)).filter((c) => c.path.startsWith(`/${prefix}/`)).map((c) => c.path.slice(prefix.length + 2));

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'tcc' });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('tries every branch, then confirms every branch', async () => {
    const tx = await run(tcc('ok', ['stock', 'payment']));
    expect(tx.type).toBe('tcc');
    expect(tx.status).toBe('CONFIRMED');
    expect(tx.steps.map((s: { status: string }) => s.status)).toEqual(['CONFIRMED', 'CONFIRMED']);
    const seen = await phases('ok');
    expect(seen.slice(0, 2).sort()).toEqual(['payment/try', 'stock/try']);
    expect(seen.slice(2).sort()).toEqual(['payment/confirm', 'stock/confirm']);
    const confirm = (await calls(participant.url, '/ok/stock/confirm'))[0];
    expect(confirm.headers['idempotency-key']).toBe(`${tx.id}:stock:confirm`);
    expect(confirm.body).toMatchObject({ phase: 'confirm', step: 'stock', input: { amount: 5 } });
  });

  it('cancels every tried branch and confirms none when a try is refused with 409', async () => {
    await script(participant.url, { '/refused/payment/try': { responses: [{ status: 409, delayMs: 200 }] } });
    const tx = await run(tcc('refused', ['stock', 'payment']));
    expect(tx.status).toBe('CANCELLED');
    const seen = await phases('refused');
    expect(seen.filter((p) => p.endsWith('/confirm'))).toEqual([]);
    expect(seen.filter((p) => p.endsWith('/cancel')).sort()).toEqual(['payment/cancel', 'stock/cancel']);
  });

  it('confirms after the confirm phase failed with 503 three times', async () => {
    await script(participant.url, {
      '/flaky/payment/confirm': { responses: [{ status: 503 }, { status: 503 }, { status: 503 }] },
    });
    const tx = await run(tcc('flaky', ['stock', 'payment']));
    expect(tx.status).toBe('CONFIRMED');
    const confirms = await calls(participant.url, '/flaky/payment/confirm');
    expect(confirms.map((c) => c.headers['x-accord-attempt'])).toEqual(['1', '2', '3', '4']);
    expect(new Set(confirms.map((c) => c.headers['idempotency-key']))).toEqual(new Set([`${tx.id}:payment:confirm`]));
  });

  it('cancels at the deadline a transaction whose try hangs, sending a cancel to both branches', async () => {
    await script(participant.url, { '/hang/payment/try': { responses: [], default: { status: 200, hang: true } } });
    const spec = tcc('hang', ['stock', 'payment'], { timeoutMs: 1000 });
    (spec.steps[1].try as Record<string, unknown>).timeoutMs = 5000;
    const tx = await run(spec);
    expect(tx.status).toBe('CANCELLED');
    const seen = await phases('hang');
    expect(seen.filter((p) => p.endsWith('/cancel')).sort()).toEqual(['payment/cancel', 'stock/cancel']);
    expect(seen.filter((p) => p.endsWith('/confirm'))).toEqual([]);
  });

  it('parks the transaction as STUCK when a cancel keeps failing', async () => {
    await script(participant.url, {
      '/stuck/payment/try': { responses: [{ status: 422 }] },
      '/stuck/stock/cancel': { responses: [], default: { status: 500 } },
    });
    const tx = await run(tcc('stuck', ['stock', 'payment']));
    expect(tx.status).toBe('STUCK');
    expect(tx.steps[0]).toMatchObject({ status: 'STUCK', phase: 'cancel', attempts: 4 });
    await script(participant.url, { '/stuck/stock/cancel': { responses: [], default: { status: 200 } } });
    expect((await api.post(`/v1/admin/transactions/${tx.id}/retry`, {})).status).toBe(202);
    expect((await api.settle(tx.id)).status).toBe('CANCELLED');
  });

  it('aborts before the decision and refuses to abort after it', async () => {
    await script(participant.url, { '/abort/payment/try': { responses: [{ status: 200, delayMs: 2000 }] } });
    const started = await api.post('/v1/transactions', { spec: tcc('abort', ['stock', 'payment']), input: {} });
    for (let i = 0; i < 100 && (await calls(participant.url, '/abort/payment/try')).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const aborted = await api.post(`/v1/transactions/${started.body.id}/abort`);
    expect(aborted.status).toBe(202);
    expect(aborted.body.status).toBe('CANCELLING');
    expect((await api.settle(started.body.id)).status).toBe('CANCELLED');
    const confirmed = await run(tcc('late-abort', ['stock']));
    const refused = await api.post(`/v1/transactions/${confirmed.id}/abort`);
    expect(refused.status).toBe(409);
  });

  it('starts registered TCC definitions too', async () => {
    const def = await api.post('/v1/definitions', { name: 'transfer-tcc', ...tcc('registered', ['debit', 'credit']) });
    expect(def.status).toBe(201);
    const res = await api.post('/v1/transactions?waitMs=20000', { definition: 'transfer-tcc', input: { amount: 1 } });
    expect(res.body.status).toBe('CONFIRMED');
  });
});
