/**
 * Endpoint headers and URL credentials are write-only: a run that uses them
 * (a registered saga that retries, is refused and compensates; an inline
 * spec; refused and malformed requests carrying them) sends them to the
 * participant, and no API answer nor any line the coordinator logs (at
 * debug level) contains one of them. Nor does the log hold the run's
 * credentials (ADMIN_TOKEN, an API key it used) or its signing secret and
 * the signatures it sent.
 */
import { ADMIN_TOKEN, Api, startCoordinator, type ApiResponse, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(90_000);

const URL_USER = 'svc-user-9f8e2d';
const URL_PASSWORD = 'url-p4ss-7c6b5a';
const API_KEY_HEADER = 'x-api-key-secret-5e4d3c';
const BEARER = 'bearer-secret-2b1a0f';
const SECRETS = [URL_USER, URL_PASSWORD, API_KEY_HEADER, BEARER, Buffer.from(`${URL_USER}:${URL_PASSWORD}`).toString('base64')];
const SIGNING_SECRET = 'signing-secret-8a7b6c5d4e3f';

describe('secrets in definitions', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;
  /** Every answer the API gave in this file. */
  const answers: ApiResponse[] = [];
  const record = async (res: Promise<ApiResponse>) => {
    const answer = await res;
    answers.push(answer);
    return answer;
  };

  const secretUrl = (path: string) => participant.url.replace('http://', `http://${URL_USER}:${URL_PASSWORD}@`) + path;
  const definition = () => ({
    name: 'secretive',
    type: 'saga',
    retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 10 },
    steps: [
      {
        name: 'reserve',
        action: { url: secretUrl('/s/reserve'), headers: { 'x-api-key': API_KEY_HEADER } },
        compensation: { url: `${participant.url}/s/release`, headers: { Authorization: `Bearer ${BEARER}` } },
      },
      { name: 'charge', action: { url: secretUrl('/s/charge'), headers: { 'x-api-key': API_KEY_HEADER } } },
    ],
  });

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'secrets', env: { LOG_LEVEL: 'debug', SIGNING_SECRET } });
    api = new Api(coordinator.url);
    await script(participant.url, {
      '/s/reserve': { responses: [{ status: 503 }] },
      '/s/charge': { default: { status: 409, body: { reason: 'card declined' } } },
      '/i/go': { responses: [{ status: 500 }] },
    });
  }, 90_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  it('masks headers and URL credentials in every view of the definition', async () => {
    const created = await record(api.post('/v1/definitions', definition()));
    expect(created.status).toBe(201);
    const masked = `${participant.url.replace('http://', 'http://***:***@')}/s/reserve`;
    expect(created.body.steps[0]).toEqual({
      name: 'reserve',
      action: { url: masked, headers: { 'x-api-key': '***' } },
      compensation: { url: `${participant.url}/s/release`, headers: { Authorization: '***' } },
    });
    expect((await record(api.post('/v1/definitions', definition()))).status).toBe(200);
    for (const path of ['/v1/definitions', '/v1/definitions/secretive', '/v1/definitions/secretive/versions/1']) {
      const res = await record(api.get(path));
      expect(res.status).toBe(200);
      expect(JSON.stringify(res.body)).toContain(masked);
    }
  });

  it('still sends them to the participant: Basic credentials from the URL, the headers as written', async () => {
    const started = await record(api.post('/v1/transactions?waitMs=20000', { definition: 'secretive', input: { order: 1 } }));
    expect(started.body.status).toBe('COMPENSATED');
    const basic = `Basic ${Buffer.from(`${URL_USER}:${URL_PASSWORD}`).toString('base64')}`;
    const reserve = await calls(participant.url, '/s/reserve');
    expect(reserve.map((c) => [c.status, c.headers.authorization, c.headers['x-api-key']])).toEqual([
      [503, basic, API_KEY_HEADER],
      [200, basic, API_KEY_HEADER],
    ]);
    expect((await calls(participant.url, '/s/charge')).map((c) => c.headers.authorization)).toEqual([basic]);
    expect((await calls(participant.url, '/s/release')).map((c) => c.headers.authorization)).toEqual([`Bearer ${BEARER}`]);

    const id = started.body.id;
    await record(api.get(`/v1/transactions/${id}`));
    await record(api.get('/v1/transactions'));
    const attempts = await record(api.get(`/v1/transactions/${id}/attempts`));
    expect(attempts.body.items.map((a: { step: string; request: unknown }) => [a.step, a.request])).toEqual([
      ['reserve', { method: 'POST', url: `${participant.url.replace('http://', 'http://***:***@')}/s/reserve` }],
      ['reserve', { method: 'POST', url: `${participant.url.replace('http://', 'http://***:***@')}/s/reserve` }],
      ['charge', { method: 'POST', url: `${participant.url.replace('http://', 'http://***:***@')}/s/charge` }],
      ['reserve', { method: 'POST', url: `${participant.url}/s/release` }],
    ]);
  });

  it('keeps them out of inline specs, refusals and malformed requests', async () => {
    const { name: _name, ...spec } = definition();
    const inline = {
      ...spec,
      steps: [{ name: 'go', action: { url: `${participant.url}/i/go`, headers: { authorization: `Bearer ${BEARER}` } } }],
    };
    const started = await record(api.post('/v1/transactions?waitMs=20000', { spec: inline, input: {} }));
    expect(started.body.status).toBe('COMPLETED');
    await record(api.get(`/v1/transactions/${started.body.id}/attempts`));

    const forbidden = await record(
      api.post('/v1/definitions', { ...definition(), name: 'forbidden', steps: [{ name: 'a', action: { url: `http://${URL_USER}:${URL_PASSWORD}@169.254.169.254/`, headers: { 'x-api-key': API_KEY_HEADER } } }] }),
    );
    expect(forbidden.body.error.code).toBe('FORBIDDEN_TARGET');
    const invalid = await record(
      api.post('/v1/definitions', { ...definition(), name: 'invalid', steps: [{ name: 'a', action: { url: secretUrl('/x'), headers: { 'bad header': BEARER, ok: 'x'.repeat(5000) } } }] }),
    );
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
    const malformed = await record(api.post('/v1/definitions', `{"name": "m", "headers": {"authorization": ${BEARER}}}`));
    expect(malformed.body.error.code).toBe('INVALID_JSON');
    // The JSON parser quotes the text around the error; not even a prefix of the value may show.
    expect(malformed.body.error.message).not.toContain(BEARER.slice(0, 6));
    const inlineForbidden = await record(
      api.post('/v1/transactions', { spec: { ...inline, steps: [{ name: 'a', action: { url: `http://${URL_USER}:${URL_PASSWORD}@[::]/` } }] }, input: {} }),
    );
    expect(inlineForbidden.body.error.code).toBe('FORBIDDEN_TARGET');
    await record(api.get('/v1/admin/audit'));
  });

  it('keeps credentials, the signing secret and the signatures out of the log', async () => {
    const created = await api.post('/v1/admin/api-keys', { name: 'secrets-test', scopes: ['transactions:read', 'transactions:write'] });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    const withKey = new Api(coordinator.url, key);
    expect((await withKey.get('/v1/transactions?limit=1')).status).toBe(200);
    expect((await new Api(coordinator.url, `${key}x`).get('/v1/transactions?limit=1')).status).toBe(401);
    const signatures = (await calls(participant.url))
      .map((c) => c.headers['x-accord-signature'])
      .filter((v): v is string => typeof v === 'string')
      .map((header) => header.split('v1=')[1]);
    expect(signatures.length).toBeGreaterThan(0);
    const logs = coordinator.logs();
    for (const secret of [ADMIN_TOKEN, key, SIGNING_SECRET, ...signatures]) {
      expect({ secret, inLogs: logs.includes(secret) }).toEqual({ secret, inLogs: false });
    }
  });

  it('appears in no API answer and in no line of the coordinator log', () => {
    const text = answers.map((a) => JSON.stringify(a.body) + JSON.stringify(a.headers)).join('\n');
    const logs = coordinator.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of SECRETS) {
      expect({ secret, inAnswers: text.includes(secret), inLogs: logs.includes(secret) }).toEqual({ secret, inAnswers: false, inLogs: false });
    }
  });
});
