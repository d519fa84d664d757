/**
 * Failures classified honestly: a call that never reached its participant is
 * not compensated, and a coordinator out of its own resources does not
 * charge the participant's retry budget.
 */
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(120_000);

describe('failure classes, end to end', () => {
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;
  const fast = { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 3, jitter: false };

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'failures' });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it.each([
    ['a host that does not resolve', 'http://inventory.invalid:4001/reserve'],
    ['a port nobody listens on', 'http://127.0.0.1:1/reserve'],
  ])('retries a call to %s, then rolls back without compensating it', async (what, unreachable) => {
    const prefix = `/unsent-${what.split(' ').pop()}`;
    const spec = {
      type: 'saga',
      retry: fast,
      steps: [
        { name: 'first', action: { url: `${participant.url}${prefix}/first` }, compensation: { url: `${participant.url}${prefix}/first/undo` } },
        { name: 'reserve', action: { url: unreachable }, compensation: { url: `${participant.url}${prefix}/reserve/undo` } },
      ],
    };
    const tx = (await api.post('/v1/transactions?waitMs=30000', { spec, input: {} })).body;
    expect(tx.status).toBe('COMPENSATED');
    const reserve = tx.steps.find((s: any) => s.name === 'reserve');
    expect(reserve.status).toBe('FAILED');
    expect(reserve.lastError).toMatch(/not delivered/);
    const attempts = (await api.get(`/v1/transactions/${tx.id}/attempts`)).body.items.filter((a: any) => a.step === 'reserve');
    expect(attempts.map((a: any) => a.attempt)).toEqual([1, 2, 3]);
    for (const a of attempts) expect(a.error).toMatch(/^not delivered .*; connection failed: (ECONNREFUSED|ENOTFOUND|EAI_AGAIN)$/);
    const paths = (await calls(participant.url)).map((c) => c.path).filter((p) => p.startsWith(`${prefix}/`));
    // the step before it is undone; the unreachable one is not
    expect(paths.filter((p) => p.endsWith('/undo'))).toEqual([`${prefix}/first/undo`]);
  });

  it('does not charge a participant for calls this coordinator could not make for want of file descriptors', async () => {
    // just enough descriptors to run, too few for 48 calls in flight at once
    const starved = await startCoordinator({ label: 'failures_fds', fileLimit: 50, env: { LOG_LEVEL: 'warn' } });
    try {
      const starvedApi = new Api(starved.url);
      const width = 48;
      await script(participant.url, Object.fromEntries(Array.from({ length: width }, (_, i) => [`/fds/s${i}`, { default: { status: 200, delayMs: 1000 } }])));
      const spec = {
        type: 'saga',
        maxParallel: width,
        retry: { maxAttempts: 1 },
        steps: Array.from({ length: width }, (_, i) => ({ name: `s${i}`, dependsOn: [], action: { url: `${participant.url}/fds/s${i}` } })),
      };
      // Answered before its calls take the descriptors; read back once they
      // have given them up (a read meanwhile may itself find none).
      const started = await starvedApi.post('/v1/transactions', { spec, input: {} });
      expect(started.status).toBe(201);
      let status: unknown;
      for (const deadline = Date.now() + 90_000; Date.now() < deadline && !['COMPLETED', 'COMPENSATED', 'STUCK'].includes(status as string);) {
        const res = await starvedApi.get(`/v1/transactions/${started.body.id}?waitMs=5000`).catch(() => null);
        if (res?.status === 200) status = (res.body as { status: string }).status;
        else await new Promise((r) => setTimeout(r, 500));
      }
      // with one attempt each, a charged local failure would have rolled the saga back
      expect(status).toBe('COMPLETED');
      // scraped once the idle keep-alive sockets to the participant have gone and descriptors are free again
      let metrics = '';
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
        const res = await starvedApi.get('/metrics').catch((error: Error) => ({ status: 0, body: error.message }));
        if (res.status === 200) {
          metrics = res.body as string;
          break;
        }
      }
      const failures = [...metrics.matchAll(/^accord_local_failures_total\{code="EMFILE"\} (\d+)$/gm)].map((m) => Number(m[1]));
      expect(failures[0]).toBeGreaterThan(0);
      expect(starved.logs()).toMatch(/out of a local resource/);
      expect(starved.logs()).not.toMatch(/\/(usr|etc|work|tmp)\//);
    } finally {
      await starved.stop();
    }
  });
});
