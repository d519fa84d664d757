/**
 * Adversarial input against the real coordinator process, beyond bodies
 * (bad-input.test.ts): request headers, path parameters, query strings,
 * template injection and prototype keys, generated from a seed. Every answer
 * is a 4xx in the error envelope, or a 2xx where the input is valid and then
 * stored verbatim; never a 5xx; the process stays up; and a refused request
 * changes nothing stored.
 *
 * Set FUZZ_SEED to replay a run; the seed is printed in its failure.
 */
import fc from 'fast-check';
import { request } from 'undici';
import { ADMIN_TOKEN, Api, startCoordinator, type ApiResponse, type CoordinatorProcess } from '../support/coordinator-process';
import { expectError } from '../support/error-answers.spec-kit';
import { calls, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(180_000);

const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

/** One generated request, sent raw: headers as a flat list, so a name may repeat. */
interface Probe {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers?: string[];
  body?: string;
}

interface Answer {
  status: number;
  body: any;
}

/** Texts other template languages evaluate, and ours must not. */
const OTHER_SYNTAXES = ['${process.exit(1)}', '${7*7}', '#{7*7}', '<%= 7*7 %>', '<%- global.process.exit() %>', '{% raw %}', '$&$1$`', "'); DROP TABLE transactions; --"];
/** Texts that look like our templates: data when they come as input. */
const OUR_LOOKALIKES = ['{{input}}', '{{{input}}}', '{{transaction.id}}', '{{constructor.constructor("return process")()}}', '{{input.__proto__}}', '{{steps.reserve.output}}'];

describe('adversarial input', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;
  let completedId: string;
  const url = (path: string) => `${participant.url}${path}`;
  const checkout = () => ({
    name: 'checkout',
    type: 'saga',
    description: 'verbatim: ${x} <%= x %> {{input.total}}',
    steps: [
      { name: 'reserve', action: { url: url('/reserve') }, compensation: { url: url('/release') } },
      { name: 'charge', input: { amount: '{{input.total}}', note: 'order {{input.note}}', literal: '${input.total} <%= input %>' }, action: { url: url('/charge') } },
    ],
  });

  /** Sends a probe as is (no client-side normalisation of the path or the headers). */
  async function send(probe: Probe): Promise<Answer> {
    const res = await request(`${coordinator.url}${probe.path}`, {
      method: probe.method,
      headers: probe.headers ?? ['authorization', `Bearer ${ADMIN_TOKEN}`],
      body: probe.body,
    });
    const text = await res.body.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text: the check below reports it
    }
    return { status: res.statusCode, body };
  }

  /** What a refused request must not change. */
  async function stored() {
    const definitions = (await api.get('/v1/definitions')).body.items;
    const versions = await Promise.all(definitions.map(async (d: { name: string }) => (await api.get(`/v1/definitions/${d.name}/versions`)).body));
    const transactions = (await api.get('/v1/transactions?limit=500')).body.items.map((t: { id: string; status: string }) => `${t.id} ${t.status}`);
    const audit = (await api.get('/v1/admin/audit?limit=500')).body;
    const keys = (await api.get('/v1/admin/api-keys')).body;
    return { definitions, versions, transactions, audit, keys };
  }

  /** Sends every probe, 8 at a time, and lists each answer that breaks the rules. */
  async function sendAll(probes: Probe[], accepted: (probe: Probe, answer: Answer) => boolean = () => false): Promise<string[]> {
    const broken: string[] = [];
    for (let i = 0; i < probes.length; i += 8) {
      await Promise.all(
        probes.slice(i, i + 8).map(async (probe) => {
          const answer = await send(probe);
          const enveloped =
            typeof answer.body?.error?.code === 'string' && typeof answer.body.error.message === 'string' && Array.isArray(answer.body.error.details);
          const ok = answer.status < 300 ? accepted(probe, answer) : answer.status >= 400 && answer.status < 500 && enveloped;
          if (!ok) broken.push(`${answer.status} ${probe.method} ${probe.path.slice(0, 200)} ${JSON.stringify(probe.headers ?? []).slice(0, 300)} -> ${JSON.stringify(answer.body).slice(0, 300)}`);
        }),
      );
    }
    return broken;
  }

  /** Runs `probes` and asserts the rules and an unchanged store (the seed in the failure). */
  async function expectAllRefused(probes: Probe[]): Promise<void> {
    const before = await stored();
    const broken = await sendAll(probes);
    expect({ seed: SEED, broken }).toEqual({ seed: SEED, broken: [] });
    expect(await stored()).toEqual(before);
    expect(coordinator.process.exitCode).toBeNull();
    expect((await api.get('/health/live')).status).toBe(200);
  }

  const sample = <T>(arbitrary: fc.Arbitrary<T>, numRuns: number, offset: number) => fc.sample(arbitrary, { seed: SEED + offset, numRuns });

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'adversarial', env: { NATS_URL: '', RABBITMQ_URL: '' } });
    api = new Api(coordinator.url);
    expect((await api.post('/v1/definitions', checkout())).status).toBe(201);
    const started = await api.post('/v1/transactions?waitMs=30000', { definition: 'checkout', input: { total: 42, note: 'n' }, idempotencyKey: 'baseline' });
    expect(started.body.status).toBe('COMPLETED');
    completedId = started.body.id;
  }, 90_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  afterEach(() => {
    expect(coordinator.logs()).not.toContain('unhandled error');
  });

  // ---------------------------------------------------------------- headers

  describe('request headers', () => {
    const auth = ['authorization', `Bearer ${ADMIN_TOKEN}`];
    const badAuthorization = fc.constantFrom(
      'Bearer', 'Bearer ', `Bearer ${ADMIN_TOKEN} extra`, `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`, `Token ${ADMIN_TOKEN}`,
      ADMIN_TOKEN, `Bearer ${ADMIN_TOKEN.toUpperCase()}`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, 'Bearer accord_' + 'A'.repeat(43), `Bearer ${'x'.repeat(8000)}`,
      'Bearer \u00e9\u00e8', 'Bearer null', 'Bearer undefined', 'Bearer __proto__',
    );
    const oddKey = fc.oneof(
      fc.constantFrom('', 'a b', 'a, b', 'k'.repeat(256), 'k'.repeat(20_000), 'caf\u00e9', '\u00ff', '"quo ted"', 'tab\there'),
      // What undici sends (no DEL): Node trims the spaces around it, so a key that is valid once trimmed is left out.
      fc
        .string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 300 })
        .filter((k) => !/^[\x21-\x7e]{1,255}$/.test(k.trim())),
    );
    const badContentType = fc.constantFrom(
      'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'json', '*/*', ';', '', 'application/xml',
      'application/json, text/plain', 'text/json',
    );
    /** Headers on a start of an existing definition: each case is refused. */
    const refusedStart = fc.oneof(
      badAuthorization.map((value) => ['authorization', value, 'content-type', 'application/json']),
      fc.tuple(badAuthorization).map(([value]) => [...auth, 'authorization', value, 'content-type', 'application/json']),
      fc.tuple(badAuthorization).map(([value]) => ['authorization', value, ...auth, 'content-type', 'application/json']),
      oddKey.map((key) => [...auth, 'content-type', 'application/json', 'idempotency-key', key]),
      fc.tuple(fc.constantFrom('a', 'baseline'), fc.constantFrom('b', 'baseline')).map(([a, b]) => [...auth, 'content-type', 'application/json', 'idempotency-key', a, 'idempotency-key', b]),
      badContentType.map((type) => [...auth, 'content-type', type]),
      fc.integer({ min: 17, max: 40 }).map((kb) => [...auth, 'content-type', 'application/json', 'x-filler', 'f'.repeat(kb * 1024)]),
      fc.integer({ min: 200, max: 400 }).map((n) => [...auth, 'content-type', 'application/json', ...Array.from({ length: n }, (_, i) => [`x-h${i}`, 'v'.repeat(100)]).flat()]),
    );

    it('refuses generated headers on a start with a 4xx in the envelope, and starts nothing', async () => {
      // A body that would start a transaction: only the headers are wrong.
      const body = JSON.stringify({ definition: 'checkout', input: { total: 1, note: 'h' } });
      await expectAllRefused(sample(refusedStart, 150, 1).map((headers) => ({ method: 'POST', path: '/v1/transactions', headers, body })));
    });

    it('answers a definitions read with bad credentials 401, whatever else the headers say', async () => {
      const probes = sample(fc.tuple(badAuthorization, fc.constantFrom('x-a', 'cookie', 'accept', 'content-type')), 40, 2).map(([value, other]) => ({
        method: 'GET' as const,
        path: '/v1/definitions',
        headers: ['authorization', value, other, 'z'],
      }));
      for (const probe of probes) expectError(asResponse(await send(probe)), 401, 'UNAUTHORIZED');
    });

    it('takes a valid key however its header is written, once', async () => {
      const body = JSON.stringify({ definition: 'checkout', input: { total: 3, note: 'k' } });
      const first = await send({ method: 'POST', path: '/v1/transactions', headers: [...auth, 'Content-Type', 'APPLICATION/JSON; charset=UTF-8', 'IDEMPOTENCY-KEY', 'k-~!#'], body });
      const again = await send({ method: 'POST', path: '/v1/transactions', headers: [...auth, 'content-type', 'application/json', 'idempotency-key', 'k-~!#'], body });
      expect([first.status, again.status]).toEqual([201, 200]);
      expect(again.body.id).toBe(first.body.id);
      // Settled, so the later tests' before/after views do not see it move.
      expect((await api.settle(first.body.id)).status).toBe('COMPLETED');
    });
  });

  // -------------------------------------------------------- path parameters

  describe('path parameters', () => {
    /** A random string may come out as a name or a version this test made
     * (`checkout`, `1`, `01`): a 200 for those is right, not a finding. */
    const namesWhatExists = (segment: string) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        return false;
      }
      return /^checkout$/i.test(decoded) || /^\s*\+?0*[1-9][0-9]{0,2}\s*$/.test(decoded);
    };
    const oddSegment = fc.oneof(
      fc.constantFrom(
        'not-a-uuid', UNKNOWN_ID, `${UNKNOWN_ID}0`, `{${UNKNOWN_ID}}`, '00000000-0000-4000-8000-00000000000g', '..', '.', '%2e%2e', '..%2F..%2Fetc%2Fpasswd',
        '%2F', 'a%2Fb', '%00', 'a%00b', '%25', '%', '%zz', '%E0%A4%A', '%C0%AE', '%EF%BF%BF', '%F0%9F%98%80', '%E2%80%AE', '%20', '+', '__proto__', 'constructor',
        'prototype', "1'%20OR%20'1'%3D'1", '%7B%7Binput%7D%7D', '$%7B7*7%7D', '-1', '0', '1e3', '99999999999999999999', 'NaN',
      ),
      fc.integer({ min: 100, max: 4000 }).map((n) => 'a'.repeat(n)),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encodeURIComponent),
      fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 20 }).map(encodeURIComponent),
    ).filter((segment) => !namesWhatExists(segment));
    const routes: Array<(s: string) => Omit<Probe, 'headers'>> = [
      (s) => ({ method: 'GET', path: `/v1/transactions/${s}` }),
      (s) => ({ method: 'GET', path: `/v1/transactions/${s}?waitMs=50` }),
      (s) => ({ method: 'GET', path: `/v1/transactions/${s}/attempts` }),
      (s) => ({ method: 'POST', path: `/v1/transactions/${s}/abort`, body: '{}' }),
      (s) => ({ method: 'POST', path: `/v1/admin/transactions/${s}/retry`, body: '{}' }),
      (s) => ({ method: 'POST', path: `/v1/admin/transactions/${s}/resolve`, body: '{"note":"fuzz"}' }),
      (s) => ({ method: 'POST', path: `/v1/admin/transactions/${s}/skip`, body: '{"step":"reserve","note":"fuzz"}' }),
      (s) => ({ method: 'GET', path: `/v1/definitions/${s}` }),
      (s) => ({ method: 'GET', path: `/v1/definitions/${s}/versions` }),
      (s) => ({ method: 'GET', path: `/v1/definitions/${s}/versions/1` }),
      (s) => ({ method: 'GET', path: `/v1/definitions/checkout/versions/${s}` }),
      (s) => ({ method: 'DELETE', path: `/v1/admin/api-keys/${s}` }),
    ];

    it('answers generated ids and names on every route with a 4xx in the envelope, and changes nothing', async () => {
      const probes = sample(fc.tuple(oddSegment, fc.nat()), 300, 3).map(([segment, pick]) => {
        const probe = routes[pick % routes.length](segment);
        return { ...probe, headers: ['authorization', `Bearer ${ADMIN_TOKEN}`, ...(probe.body ? ['content-type', 'application/json'] : [])] };
      });
      await expectAllRefused(probes);
    });

    it('finds the completed transaction by its id in capitals, and refuses to abort it', async () => {
      expect((await api.get(`/v1/transactions/${completedId.toUpperCase()}`)).body.id).toBe(completedId);
      expectError(await api.post(`/v1/transactions/${completedId.toUpperCase()}/abort`), 409, 'INVALID_STATE');
    });
  });

  // ---------------------------------------------------------- query strings

  describe('query strings', () => {
    const value = fc.oneof(
      fc.constantFrom(
        '', '%20', '-1', '0', '-0', '1.5', '1e3', '1e400', '0x10', 'NaN', 'Infinity', '501', '3600001', '99999999999999999999', 'abc', 'STUCK', 'stuck', 'RUNNING,STUCK',
        '%00', '%ZZ', '%E2%80%AE', '__proto__', '[]', '{}', '2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '2020-01-01T00:00:00%2B23:59', '9999-12-31T23:59:59-16:00',
        'W10', 'bnVsbA', 'A'.repeat(600), '%7B%7Binput%7D%7D', '$%7Bx%7D',
      ),
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
    );
    const key = fc.oneof(
      fc.constantFrom('limit', 'cursor', 'status', 'definition', 'from', 'to', 'id', 'idempotencyKey', 'waitMs', 'before', 'transactionId'),
      fc.constantFrom('__proto__', 'constructor', 'prototype', '__proto__[limit]', 'constructor[prototype]', 'limit[]', 'limit[0]', 'a[b]', 'status[$ne]', '', '%00', 'x'),
    );
    /** ISO instants at the edges: years 1 and 9999, offsets to ±23:59 (Postgres takes ±15:59). */
    const instant = fc
      .tuple(fc.constantFrom('0001-01-01T00:00:00', '9999-12-31T23:59:59', '2026-06-01T12:00:00.123456'), fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
      .map(([at, sign, h, m]) => encodeURIComponent(`${at}${sign}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`));
    const pair = fc.oneof(fc.tuple(key, value), fc.tuple(fc.constantFrom('from', 'to'), instant));
    /** Mostly bad parts: a bad value, a repeated key, an unknown key. */
    const query = fc
      .array(pair, { minLength: 1, maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    const targets = () => ['/v1/transactions', '/v1/transactions/counts', `/v1/transactions/${completedId}`, '/v1/definitions/checkout/versions', '/v1/admin/audit'];

    it('answers generated query strings with a 4xx in the envelope or a 2xx read, and changes nothing', async () => {
      const before = await stored();
      const probes = sample(fc.tuple(query, fc.nat()), 300, 4).map(([q, pick]) => ({
        method: 'GET' as const,
        path: `${targets()[pick % 5]}?${q}`,
      }));
      // A read may take some of them: a 2xx is a read that changed nothing.
      const broken = await sendAll(probes, () => true);
      expect({ seed: SEED, broken }).toEqual({ seed: SEED, broken: [] });
      expect(await stored()).toEqual(before);
    });

    it('refuses a generated query on a start before starting anything', async () => {
      const body = JSON.stringify({ definition: 'checkout', input: { total: 1, note: 'q' } });
      // Not only waits the start takes: its query coerces as Number() does
      // (so `0x10`, `1e3` and a blank are waits too, a leniency left as is).
      const takenWait = (pair: string) => {
        const [k, v = ''] = pair.split('=');
        let n: number;
        try {
          n = Number(decodeURIComponent(v));
        } catch {
          return false;
        }
        return k === 'waitMs' && Number.isInteger(n) && n >= 0 && n <= 3_600_000;
      };
      const refusing = query.filter((q) => !q.split('&').every(takenWait));
      await expectAllRefused(
        sample(refusing, 100, 5).map((q) => ({
          method: 'POST',
          path: `/v1/transactions?${q}`,
          headers: ['authorization', `Bearer ${ADMIN_TOKEN}`, 'content-type', 'application/json'],
          body,
        })),
      );
    });
  });

  // ------------------------------------------------------ template injection

  describe('template injection', () => {
    const otherSyntax = fc
      .oneof(
        fc.constantFrom(...OTHER_SYNTAXES),
        fc.tuple(fc.constantFrom('${', '<%=', '#{', '{%'), fc.string({ maxLength: 20 }), fc.constantFrom('}', '%>', '%}')).map((p) => p.join('')),
      )
      .filter((text) => !text.includes('{{'));
    const lookalike = fc.oneof(
      fc.constantFrom(...OUR_LOOKALIKES),
      fc.string({ maxLength: 20 }).map((inner) => `{{${inner}}}`),
    );

    it('stores definitions and inputs carrying other template syntaxes verbatim, and sends them to the participant unevaluated', async () => {
      const literal = sample(otherSyntax, 12, 6);
      const texts = sample(fc.oneof(otherSyntax, lookalike), 12, 7);
      const body = {
        name: 'injected',
        type: 'saga',
        // Not a template: text, whatever it holds.
        description: [...literal, ...texts].join(' | ').slice(0, 4000),
        steps: [{ name: 'echo', input: { literal, whole: '{{input.texts}}', inline: 'got {{input.first}}' }, action: { url: url('/echo') } }],
      };
      const registered = await api.post('/v1/definitions', body);
      expect(registered.status).toBe(201);
      expect((await api.get('/v1/definitions/injected')).body).toMatchObject(body);

      // Values of the input are data, never templates, even when they look like ours.
      const input = { texts, first: '{{transaction.id}} ${x}', nested: { '{{input}}': '<%= 1 %>' } };
      const started = await api.post('/v1/transactions?waitMs=30000', { definition: 'injected', input });
      expect({ seed: SEED, status: started.body.status }).toEqual({ seed: SEED, status: 'COMPLETED' });
      expect((await api.get(`/v1/transactions/${started.body.id}`)).body.input).toEqual(input);
      const call = (await calls(participant.url, '/echo')).find((c) => (c.body as { transactionId?: string }).transactionId === started.body.id);
      expect((call?.body as { input?: unknown }).input).toEqual({ literal, whole: texts, inline: 'got {{transaction.id}} ${x}' });
    });

    it('refuses a template of ours that names anything but input, steps and transaction.id', async () => {
      const before = await stored();
      for (const template of ['{{env.ADMIN_TOKEN}}', '{{process.env}}', '{{ this }}', '{{constructor.constructor("return process")()}}', 'a {{global}} b']) {
        const res = await api.post('/v1/definitions', { ...checkout(), steps: [{ name: 'a', input: { t: template }, action: { url: url('/a') } }] });
        expectError(res, 400, 'VALIDATION_FAILED', 'steps[0].input.t', /unknown template path/);
      }
      expect(await stored()).toEqual(before);
    });
  });

  // ----------------------------------------------------------- prototype keys

  describe('prototype keys', () => {
    const protoBodies: Array<[string, string, () => string]> = [
      ['a definition', '/v1/definitions', () => JSON.stringify(checkout()).replace('{', '{"__proto__": {"type": "tcc"},')],
      ['a step', '/v1/definitions', () => JSON.stringify(checkout()).replace('{"name":"reserve"', '{"__proto__": {"pivot": true}, "name":"reserve"')],
      ['endpoint headers', '/v1/definitions', () => JSON.stringify(checkout()).replace('"action":{', '"action":{"headers":{"__proto__":"x"},')],
      ['a step input', '/v1/definitions', () => JSON.stringify(checkout()).replace('"input":{', '"input":{"__proto__":{"amount":1},')],
      ['a start', '/v1/transactions', () => '{"__proto__": {"spec": {}}, "definition": "checkout"}'],
      ['an input', '/v1/transactions', () => '{"definition": "checkout", "input": {"total": 1, "__proto__": {"total": 2}}}'],
      ['a nested input', '/v1/transactions', () => '{"definition": "checkout", "input": {"a": [{"b": {"__proto__": {"admin": true}}}]}}'],
      ['constructor.prototype in an input', '/v1/transactions', () => '{"definition": "checkout", "input": {"constructor": {"prototype": {"admin": true}}}}'],
      ['an inline spec', '/v1/transactions', () => JSON.stringify({ spec: (({ name: _n, ...spec }) => spec)(checkout()) }).replace('"spec":{', '"spec":{"__proto__":{"timeoutMs":1},')],
      ['an API key request', '/v1/admin/api-keys', () => '{"name": "k", "scopes": ["transactions:read"], "__proto__": {"scopes": ["admin"]}}'],
      ['an operator note', `/v1/admin/transactions/${UNKNOWN_ID}/resolve`, () => '{"note": "n", "__proto__": {}}'],
      ['a skip output', `/v1/admin/transactions/${UNKNOWN_ID}/skip`, () => '{"step": "reserve", "note": "n", "output": {"__proto__": {"x": 1}}}'],
    ];

    it.each(protoBodies)('refuses a __proto__ key in %s with 400 at its place, and stores nothing', async (_what, path, body) => {
      const before = await stored();
      const res = await api.post(path, body());
      expectError(res, 400, 'VALIDATION_FAILED', /.*/, /"__proto__"|"prototype" inside "constructor"/);
      expect(await stored()).toEqual(before);
    });

    it('stores keys named constructor and prototype verbatim, as the data they are', async () => {
      const input = { constructor: 'c', prototype: { constructor: 1 }, toString: 'not a function', hasOwnProperty: null, valueOf: [] };
      const started = await api.post('/v1/transactions?waitMs=30000', { definition: 'checkout', input: { ...input, total: 5, note: 'p' } });
      expect(started.body.status).toBe('COMPLETED');
      expect((await api.get(`/v1/transactions/${started.body.id}`)).body.input).toEqual({ ...input, total: 5, note: 'p' });

      const definition = { ...checkout(), name: 'constructor', steps: [{ name: 'constructor', input: { prototype: '{{input.constructor}}' }, action: { url: url('/c'), headers: { constructor: 'x', prototype: 'y' } } }] };
      expect((await api.post('/v1/definitions', definition)).status).toBe(201);
      const view = (await api.get('/v1/definitions/constructor')).body;
      expect(view.steps[0]).toEqual({ ...definition.steps[0], action: { url: url('/c'), headers: { constructor: '***', prototype: '***' } } });
      const run = await api.post('/v1/transactions?waitMs=30000', { definition: 'constructor', input: { constructor: 'from input' } });
      expect(run.body.status).toBe('COMPLETED');
      const call = (await calls(participant.url, '/c')).find((c) => (c.body as { transactionId?: string }).transactionId === run.body.id);
      expect((call?.body as { input?: unknown }).input).toEqual({ prototype: 'from input' });
      expect(call?.headers).toMatchObject({ constructor: 'x', prototype: 'y' });
    });
  });

  it('is still up and runs a saga end to end after all of it', async () => {
    expect(coordinator.process.exitCode).toBeNull();
    expect((await api.get('/health/ready')).status).toBe(200);
    const res = await api.post('/v1/transactions?waitMs=30000', { definition: 'checkout', version: 1, input: { total: 9, note: 'end' } });
    expect(res.body.status).toBe('COMPLETED');
  });
});

function asResponse(answer: Answer): ApiResponse {
  return { status: answer.status, body: answer.body, headers: {} };
}
