/**
 * Safe targets against the built coordinator: the sixteen dangerous URLs of
 * issue 8 at registration and as inline specs, with PARTICIPANT_ALLOW unset,
 * in production and set to something else; then at call time, a host name
 * that resolves to the coordinator itself and a definition that a stricter
 * policy refuses after it was registered: neither call is sent.
 */
import { lookup } from 'node:dns/promises';
import { hostname, networkInterfaces } from 'node:os';
import { ALLOW_OTHER, DANGEROUS_URLS, withSelf, type Verdict } from '@accord/core-spec-kit';
import { Api, runCoordinatorUntilExit, startCoordinator, type ApiResponse, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, startParticipant, type ParticipantProcess } from '../support/participant-process';
import { createTestDatabase, freePort } from '../support/test-env';

jest.setTimeout(120_000);

const saga = (name: string, url: string) => ({ name, type: 'saga', retry: { maxAttempts: 1 }, steps: [{ name: 'call', action: { url } }] });

function expectVerdict(res: ApiResponse, verdict: Verdict, label: string): void {
  if (verdict === 'allowed') {
    expect({ label, status: res.status }).toEqual({ label, status: 201 });
    return;
  }
  // A non-HTTP scheme never passes the schema; every other refusal is the policy's.
  const code = verdict === 'scheme' ? 'VALIDATION_FAILED' : 'FORBIDDEN_TARGET';
  expect({ label, status: res.status, code: res.body.error?.code }).toEqual({ label, status: 400, code });
}

describe('safe targets', () => {
  const settings: { label: 'dev' | 'production' | 'allowOther'; env: Record<string, string> }[] = [
    { label: 'dev', env: {} },
    { label: 'production', env: { NODE_ENV: 'production' } },
    { label: 'allowOther', env: { PARTICIPANT_ALLOW: ALLOW_OTHER } },
  ];
  const coordinators = new Map<string, CoordinatorProcess>();
  let participant: ParticipantProcess;

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    await Promise.all(
      settings.map(async ({ label, env }) => {
        const port = await freePort();
        coordinators.set(label, await startCoordinator({ label: `targets-${label}`, port, env }));
      }),
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of coordinators.values()) await c.stop();
    await participant?.stop();
  });

  describe.each(settings)('with $label settings', ({ label }) => {
    const coordinator = () => coordinators.get(label)!;
    const api = () => new Api(coordinator().url);

    it.each(DANGEROUS_URLS.map((c, i) => ({ ...c, i, verdict: c[label] })))(
      'registration of $url ($what): $verdict',
      async ({ url, i, verdict }) => {
        const res = await api().post('/v1/definitions', saga(`danger-${i}`, withSelf(url, coordinator().port)));
        expectVerdict(res, verdict, url);
        if (verdict !== 'allowed' && verdict !== 'scheme') {
          expect(res.body.error.details).toEqual([{ path: 'steps[0].action.url', message: expect.stringMatching(/^step "call" action: /) }]);
        }
      },
    );

    it('refuses the same targets in inline specs at start, and starts nothing', async () => {
      for (const [i, c] of DANGEROUS_URLS.entries()) {
        if (c[label] === 'allowed') continue;
        const { name: _name, ...spec } = saga(`inline-${i}`, withSelf(c.url, coordinator().port));
        const res = await api().post('/v1/transactions', { spec, input: {} });
        expect({ url: c.url, status: res.status, code: res.body.error.code }).toEqual({
          url: c.url,
          status: 400,
          code: c[label] === 'scheme' ? 'VALIDATION_FAILED' : 'FORBIDDEN_TARGET',
        });
        if (c[label] !== 'scheme') expect(res.body.error.details[0].path).toBe('spec.steps[0].action.url');
      }
      expect((await api().get('/v1/transactions')).body.items).toEqual([]);
    });
  });

  it('names the step and phase of every refused endpoint, without echoing URL credentials', async () => {
    const api = new Api(coordinators.get('dev')!.url);
    const res = await api.post('/v1/definitions', {
      name: 'leaky',
      type: 'saga',
      steps: [
        { name: 'ok', action: { url: `${participant.url}/ok` } },
        { name: 'meta', action: { url: 'http://admin:hunter2-secret@169.254.169.254/' }, compensation: { url: 'http://u:pw-secret@[::]/' } },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({
      code: 'FORBIDDEN_TARGET',
      message: expect.any(String),
      details: [
        { path: 'steps[1].action.url', message: expect.stringContaining('step "meta" action: 169.254.169.254 is a link-local address') },
        { path: 'steps[1].compensation.url', message: expect.stringContaining('step "meta" compensation: [::] is an unspecified address') },
      ],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/hunter2|pw-secret|admin:/);
    expect((await api.get('/v1/definitions/leaky')).status).toBe(404);
  });

  it('warns at start-up when PARTICIPANT_ALLOW is unset, and not when it is set', () => {
    const warning = (label: string) =>
      coordinators
        .get(label)!
        .logs()
        .split('\n')
        .find((line) => line.includes('PARTICIPANT_ALLOW is not set'));
    expect(JSON.parse(warning('dev')!)).toMatchObject({ level: 40, msg: expect.stringContaining('loopback included') });
    expect(warning('allowOther')).toBeUndefined();
  });

  it('does not call a host name that resolves to the coordinator itself', async () => {
    // This machine's own name resolves to one of its addresses (loopback or an interface).
    const own = new Set(['127.0.0.1', '::1', ...Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address))]);
    const resolved = await lookup(hostname(), { all: true });
    expect({ name: hostname(), ownAddress: resolved.every((a) => own.has(a.address)) }).toEqual({ name: hostname(), ownAddress: true });

    const dev = coordinators.get('dev')!;
    const api = new Api(dev.url);
    const url = `http://${hostname()}:${dev.port}/v1/admin/api-keys`;
    expect((await api.post('/v1/definitions', saga('self-by-name', url))).status).toBe(201);
    const started = await api.post('/v1/transactions?waitMs=20000', { definition: 'self-by-name', input: {} });
    expect(started.body.status).toBe('COMPENSATED');
    const attempts = (await api.get(`/v1/transactions/${started.body.id}/attempts`)).body.items;
    // Sent, the call would have been answered 401 by the coordinator's auth.
    expect(attempts).toEqual([
      expect.objectContaining({ step: 'call', outcome: 'misconfigured', statusCode: null, error: expect.stringContaining('not sent: forbidden target') }),
    ]);
    expect(attempts[0].error).toContain('is the coordinator itself');
  });

  it('does not call a registered target that the policy refuses by the time of the call', async () => {
    const databaseUrl = await createTestDatabase('targets-later');
    const before = await startCoordinator({ label: 'targets-before', databaseUrl });
    const url = `${participant.url}/later`;
    expect((await new Api(before.url).post('/v1/definitions', saga('later', url))).status).toBe(201);
    await before.stop();

    const after = await startCoordinator({ label: 'targets-after', databaseUrl, env: { PARTICIPANT_ALLOW: ALLOW_OTHER } });
    try {
      const api = new Api(after.url);
      const started = await api.post('/v1/transactions?waitMs=20000', { definition: 'later', input: {} });
      expect(started.body.status).toBe('COMPENSATED');
      const [attempt] = (await api.get(`/v1/transactions/${started.body.id}/attempts`)).body.items;
      expect(attempt).toMatchObject({ outcome: 'misconfigured', statusCode: null, error: expect.stringContaining('127.0.0.1 is not in PARTICIPANT_ALLOW') });
      expect(await calls(participant.url, '/later')).toEqual([]);
    } finally {
      await after.stop();
    }
  });

  it('refuses to start with a bad PARTICIPANT_ALLOW entry, naming it', async () => {
    const { code, output } = await runCoordinatorUntilExit(await createTestDatabase('targets-bad'), {
      PARTICIPANT_ALLOW: 'inventory:4001,10.0.0.0/99',
    });
    expect(code).not.toBe(0);
    expect(output).toContain('PARTICIPANT_ALLOW: bad entry "10.0.0.0/99": not a CIDR range');
  });
});
