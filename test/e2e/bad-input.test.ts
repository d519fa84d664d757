/**
 * Bad input against the real coordinator process: every invalid request is a
 * 4xx in the contract's error shape (`{"error": {"code", "message",
 * "details"}}`) with a stable code and a useful path, never a 5xx, and never
 * changes what is stored. Ends with a fuzz run of mutated bodies, after which
 * the coordinator must still be ready and still run a saga end to end.
 *
 * Set FUZZ_SEED to replay a fuzz run; the seed is printed in its failure.
 */
import fc from 'fast-check';
import { Api, startCoordinator, type ApiResponse, type CoordinatorProcess } from '../support/coordinator-process';
import { expectError, expectErrorShape } from '../support/error-answers.spec-kit';
import { calls, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(120_000);

const MAX_BODY_BYTES = 1024 * 1024; // the coordinator's default MAX_BODY_BYTES
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const CONTRACT_4XX = [400, 404, 409, 413, 415, 422];
/** Headers a definition may not set, in the cases a user might write them. */
const PROTOCOL_HEADERS = [
  'Idempotency-Key', 'idempotency-key', 'IDEMPOTENCY-KEY', 'X-Accord-Signature', 'x-accord-transaction', 'X-Accord-Anything',
  'traceparent', 'Tracestate', 'Content-Type', 'content-length', 'Host', 'Connection', 'Keep-Alive', 'Proxy-Connection',
  'Proxy-Authenticate', 'Proxy-Authorization', 'TE', 'Trailer', 'Transfer-Encoding', 'Upgrade',
];

describe('bad input', () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let api: Api;
  /** A COMPLETED transaction started with idempotency key `baseline-key`. */
  let completedId: string;
  const longName = `l${'o'.repeat(125)}ng`; // 128 characters: the longest valid name

  const url = (path: string) => `${participant.url}${path}`;
  const validDefinition = () => ({
    name: 'checkout',
    type: 'saga',
    timeoutMs: 60_000,
    retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100, multiplier: 2, jitter: false },
    steps: [
      {
        name: 'reserve',
        action: { url: url('/reserve'), timeoutMs: 5000 },
        compensation: { url: url('/release') },
      },
      {
        name: 'charge',
        input: { amount: '{{input.total}}', reservation: '{{steps.reserve.output.path}}' },
        action: { url: url('/charge'), method: 'POST', headers: { 'x-tenant': 'acme' } },
        compensation: { url: url('/refund') },
        retry: { maxAttempts: 2 },
      },
      { name: 'notify', dependsOn: [], action: { url: url('/notify') } },
    ],
  });
  const validSpec = () => (({ name: _name, ...spec }) => spec)(validDefinition());
  const tccDefinition = () => ({
    name: 'reservation-tcc',
    type: 'tcc',
    steps: [{ name: 'hold', try: { url: url('/try') }, confirm: { url: url('/confirm') }, cancel: { url: url('/cancel') } }],
  });

  /** A definition body with `patch` applied to a copy of the valid one. */
  const definition = (patch: (d: any) => void) => {
    const body = validDefinition() as any;
    patch(body);
    return body;
  };
  const step = (name: string, extra: Record<string, unknown> = {}) => ({ name, action: { url: url(`/${name}`) }, ...extra });

  /** What bad input must never change. */
  async function snapshot() {
    const definitions = await api.get('/v1/definitions');
    expect(definitions.status).toBe(200);
    const versions: Record<string, unknown> = {};
    for (const d of definitions.body.items) {
      versions[d.name] = (await api.get(`/v1/definitions/${d.name}/versions/${d.version + 1}`)).status; // no newer version
    }
    const transactions = await api.get('/v1/transactions?limit=500');
    expect(transactions.status).toBe(200);
    const audit = await api.get('/v1/admin/audit?limit=500');
    expect(audit.status).toBe(200);
    const completed = await api.get(`/v1/transactions/${completedId}`);
    return { definitions: definitions.body, versions, transactions: transactions.body, audit: audit.body, completed: completed.body };
  }

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    // No broker settings: a definition naming nats or rmq is refused.
    coordinator = await startCoordinator({ label: 'bad-input', env: { NATS_URL: '', RABBITMQ_URL: '' } });
    api = new Api(coordinator.url);

    // Stored state that bad input must leave alone.
    const deepest = definition((d) => {
      d.name = 'deepest';
      d.steps[1].input = nest(125); // 128 levels with the body, the steps list and the step: the limit
    });
    for (const body of [validDefinition(), tccDefinition(), { ...validDefinition(), name: longName }, deepest]) {
      const res = await api.post('/v1/definitions', body);
      expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    }
    const started = await api.post('/v1/transactions?waitMs=30000', {
      definition: 'checkout',
      input: { total: 42 },
      idempotencyKey: 'baseline-key',
    });
    expect(started.status).toBe(201);
    expect(started.body.status).toBe('COMPLETED');
    completedId = started.body.id;
  }, 90_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
  });

  // ------------------------------------------------------------ definitions

  /** [behaviour, body, path of the detail, message of that detail] — all 400 VALIDATION_FAILED. */
  const invalidDefinitions: Array<[string, () => unknown, string | RegExp, RegExp?]> = [
    ['a missing name', () => definition((d) => delete d.name), 'name'],
    ['a name with capitals and punctuation', () => definition((d) => (d.name = 'Check Out!')), 'name', /must match/],
    ['a name starting with a dash', () => definition((d) => (d.name = '-checkout')), 'name'],
    ['a name of 129 characters', () => definition((d) => (d.name = 'a'.repeat(129))), 'name'],
    ['an empty name', () => definition((d) => (d.name = '')), 'name'],
    ['a name that is a number', () => definition((d) => (d.name = 42)), 'name'],
    ['a name that is null', () => definition((d) => (d.name = null)), 'name'],
    ['an unknown type', () => definition((d) => (d.type = 'workflow')), 'type'],
    ['a missing type', () => definition((d) => delete d.type), 'type'],
    ['a type in capitals', () => definition((d) => (d.type = 'SAGA')), 'type'],
    ['no steps', () => definition((d) => (d.steps = [])), 'steps'],
    ['a missing steps list', () => definition((d) => delete d.steps), 'steps'],
    ['steps given as an object', () => definition((d) => (d.steps = { reserve: d.steps[0] })), 'steps'],
    ['more than 256 steps', () => definition((d) => (d.steps = Array.from({ length: 257 }, (_, i) => step(`s${i}`)))), 'steps'],
    ['a step that is a string', () => definition((d) => (d.steps[0] = 'reserve')), 'steps[0]'],
    ['a step that is null', () => definition((d) => (d.steps[1] = null)), 'steps[1]'],
    ['duplicate step names', () => definition((d) => (d.steps[2].name = 'reserve')), 'steps[2].name', /duplicate step name "reserve"/],
    ['an invalid step name', () => definition((d) => (d.steps[0].name = 'Reserve Stock')), 'steps[0].name'],
    ['a step without a name', () => definition((d) => delete d.steps[0].name), 'steps[0].name'],
    ['an unknown dependsOn', () => definition((d) => (d.steps[1].dependsOn = ['ghost'])), 'steps[1].dependsOn[0]', /unknown step "ghost"/],
    ['a self-dependency', () => definition((d) => (d.steps[1].dependsOn = ['charge'])), 'steps[1].dependsOn[0]', /itself/],
    ['a duplicate dependency', () => definition((d) => (d.steps[1].dependsOn = ['reserve', 'reserve'])), 'steps[1].dependsOn', /duplicate/],
    ['dependsOn given as a string', () => definition((d) => (d.steps[1].dependsOn = 'reserve')), 'steps[1].dependsOn'],
    ['dependsOn holding a number', () => definition((d) => (d.steps[1].dependsOn = [1])), 'steps[1].dependsOn[0]'],
    ['a step without an action', () => definition((d) => delete d.steps[0].action), 'steps[0].action'],
    ['an action that is a bare URL string', () => definition((d) => (d.steps[0].action = url('/reserve'))), 'steps[0].action'],
    ['an ftp URL', () => definition((d) => (d.steps[0].action.url = 'ftp://inventory/reserve')), 'steps[0].action.url', /absolute http/],
    ['a relative URL', () => definition((d) => (d.steps[0].action.url = '/reserve')), 'steps[0].action.url', /absolute http/],
    ['a URL without a host', () => definition((d) => (d.steps[0].action.url = 'http://')), 'steps[0].action.url'],
    ['a javascript: URL', () => definition((d) => (d.steps[0].action.url = 'javascript:alert(1)')), 'steps[0].action.url'],
    ['a URL that is not a string', () => definition((d) => (d.steps[0].action.url = 42)), 'steps[0].action.url'],
    ['a URL that is an object', () => definition((d) => (d.steps[0].action.url = { host: 'inventory' })), 'steps[0].action.url'],
    ['a bad compensation URL', () => definition((d) => (d.steps[0].compensation.url = 'inventory/release')), 'steps[0].compensation.url'],
    ['an unknown HTTP method', () => definition((d) => (d.steps[1].action.method = 'TRACE')), 'steps[1].action.method'],
    ['an endpoint timeout of 0', () => definition((d) => (d.steps[0].action.timeoutMs = 0)), 'steps[0].action.timeoutMs'],
    ['an endpoint timeout given as a string', () => definition((d) => (d.steps[0].action.timeoutMs = '5000')), 'steps[0].action.timeoutMs'],
    ['an invalid header name', () => definition((d) => (d.steps[1].action.headers = { 'bad header': 'x' })), 'steps[1].action.headers.bad header', /invalid header name/],
    ['a header value that is a number', () => definition((d) => (d.steps[1].action.headers = { 'x-n': 1 })), /^steps\[1\]\.action\.headers/],
    ...PROTOCOL_HEADERS.map((name): [string, () => unknown, string, RegExp] => [
      `a definition header overriding ${name}`,
      () => definition((d) => (d.steps[1].action.headers = { 'x-tenant': 'acme', [name]: 'mine' })),
      `steps[1].action.headers.${name}`,
      new RegExp(`header "${name}" is set by the coordinator`),
    ]),
    ['a reserved header on a compensation', () => definition((d) => (d.steps[0].compensation.headers = { 'X-Accord-Phase': 'action' })), 'steps[0].compensation.headers.X-Accord-Phase', /set by the coordinator/],
    ['a reserved header on a TCC confirm', () => ({ ...tccDefinition(), steps: [{ ...tccDefinition().steps[0], confirm: { url: url('/confirm'), headers: { HOST: 'x' } } }] }), 'steps[0].confirm.headers.HOST', /set by the coordinator/],
    ...['a\r\nX-Injected: 1', 'a\nb', 'bell\u0007', 'del\u007f', 'caf\u0113'].map((value): [string, () => unknown, string, RegExp] => [
      `a header value ${JSON.stringify(value)}`,
      () => definition((d) => (d.steps[1].action.headers = { 'x-tenant': value })),
      'steps[1].action.headers.x-tenant',
      /control characters/,
    ]),
    ['an unknown endpoint field', () => definition((d) => (d.steps[0].action.verb = 'POST')), /^steps\[0\]\.action/, /verb/],
    ['an unknown message transport', () => definition((d) => (d.steps[0].action = { transport: 'kafka', pattern: 'x' })), /^steps\[0\]\.action/],
    ['a RabbitMQ endpoint without a queue', () => definition((d) => (d.steps[0].action = { transport: 'rmq', pattern: 'x' })), 'steps[0].action.queue'],
    ['a TCP endpoint without a port', () => definition((d) => (d.steps[0].action = { transport: 'tcp', host: 'inventory', pattern: 'x' })), 'steps[0].action.port'],
    ['a TCP host that is not a host', () => definition((d) => (d.steps[0].action = { transport: 'tcp', host: 'a@169.254.169.254', port: 1, pattern: 'x' })), 'steps[0].action.host'],
    ['retry.maxAttempts of 0', () => definition((d) => (d.retry.maxAttempts = 0)), 'retry.maxAttempts'],
    ['a fractional retry.maxAttempts', () => definition((d) => (d.retry.maxAttempts = 2.5)), 'retry.maxAttempts'],
    ['a negative retry delay', () => definition((d) => (d.retry.initialDelayMs = -1)), 'retry.initialDelayMs'],
    ['an initial delay above the maximum', () => definition((d) => Object.assign(d.retry, { initialDelayMs: 500, maxDelayMs: 100 })), 'retry.initialDelayMs', /must not exceed maxDelayMs/],
    ['a retry multiplier below 1', () => definition((d) => (d.retry.multiplier = 0.5)), 'retry.multiplier'],
    ['a retry jitter that is a string', () => definition((d) => (d.retry.jitter = 'yes')), 'retry.jitter'],
    ['an unknown retry field', () => definition((d) => (d.retry.backoff = 'exponential')), 'retry', /backoff/],
    ['a retry policy given as an array', () => definition((d) => (d.retry = [5])), 'retry'],
    ['a bad retry policy on a step', () => definition((d) => (d.steps[1].retry = { maxAttempts: 0 })), 'steps[1].retry.maxAttempts'],
    ['an unknown top-level field', () => definition((d) => (d.colour = 'blue')), '', /colour/],
    ['an unknown step field', () => definition((d) => (d.steps[0].parallel = true)), 'steps[0]', /parallel/],
    ['a __proto__ field', () => JSON.parse(JSON.stringify(validDefinition()).replace('{', '{"__proto__":{"admin":true},')), '', /__proto__/],
    // zod drops a record's __proto__ key: the header would have vanished from the stored definition.
    ['a __proto__ header', () => JSON.parse(JSON.stringify(definition((d) => (d.steps[1].action.headers = { '@': 'x' }))).replace('"@"', '"__proto__"')), 'steps[1].action.headers', /"__proto__" is not accepted/],
    ['a template reading a step it does not depend on', () => definition((d) => (d.steps[2].input = { r: '{{steps.reserve.output.id}}' })), 'steps[2].input', /does not depend on/],
    ['a template reading a later step', () => definition((d) => (d.steps[0].input = '{{steps.charge.output}}')), 'steps[0].input', /does not depend on/],
    ['a template reading its own step', () => definition((d) => (d.steps[1].input = '{{steps.charge.output}}')), 'steps[1].input'],
    ['a template reading an unknown step', () => definition((d) => (d.steps[1].input = '{{steps.ghost.output}}')), 'steps[1].input', /unknown step "ghost"/],
    ['a template with an unknown root', () => definition((d) => (d.steps[1].input = 'total: {{env.SECRET}}')), 'steps[1].input', /unknown template path/],
    ['a timeoutMs given as a string', () => definition((d) => (d.timeoutMs = '60000')), 'timeoutMs'],
    ['a timeoutMs of 0', () => definition((d) => (d.timeoutMs = 0)), 'timeoutMs'],
    ['a fractional timeoutMs', () => definition((d) => (d.timeoutMs = 1.5)), 'timeoutMs'],
    ['a timeoutMs of 1e308', () => definition((d) => (d.timeoutMs = 1e308)), 'timeoutMs'],
    ['a pivot given as a string', () => definition((d) => (d.steps[1].pivot = 'true')), 'steps[1].pivot'],
    ['a description that is a number', () => definition((d) => (d.description = 5)), 'description'],
    ['a saga step with TCC endpoints', () => definition((d) => (d.steps[0] = tccDefinition().steps[0])), /^steps\[0\]/],
    ['a TCC step without confirm', () => ({ ...tccDefinition(), steps: [{ ...tccDefinition().steps[0], confirm: undefined }] }), 'steps[0].confirm'],
    ['a TCC step with a saga action', () => ({ ...tccDefinition(), steps: [step('hold')] }), /^steps\[0\]/],
    ['a string containing U+0000', () => definition((d) => (d.description = 'nul \u0000 byte')), 'description', /U\+0000/],
    ['a lone surrogate in a step input', () => definition((d) => (d.steps[1].input = { note: 'half \ud83d emoji' })), 'steps[1].input.note', /surrogate/],
    ['a lone surrogate in a key', () => definition((d) => (d.steps[1].input = { ['\udc00']: 1 })), /^steps\[1\]\.input\./, /surrogate/],
    ['a step input nested 1000 levels deep', () => JSON.stringify(definition((d) => (d.steps[1].input = '@deep'))).replace('"@deep"', nestedText(1000)), /^steps\[1\]\.input/, /nested deeper/],
    // The body, the steps list and the step are 3 levels: 126 more make 129 (the limit is 128).
    ['a body nested 129 levels deep', () => definition((d) => (d.steps[1].input = nest(126))), /^steps\[1\]\.input/, /nested deeper than 128/],
  ];

  describe('definitions API', () => {
    // Objects, not rows: jest would pass `done` for a missing trailing column.
    const definitionCases = invalidDefinitions.map(([behaviour, body, path, message]) => ({ behaviour, body, path, message }));
    it.each(definitionCases)('rejects $behaviour with 400 VALIDATION_FAILED and the path', async ({ body, path, message }) => {
      const res = await api.post('/v1/definitions', body());
      expectError(res, 400, 'VALIDATION_FAILED', path, message);
    });

    it('rejects a definition naming a transport without its broker with 400 TRANSPORT_NOT_CONFIGURED, and a TCP target the policy refuses', async () => {
      const rmq = await api.post('/v1/definitions', definition((d) => (d.steps[1].compensation = { transport: 'rmq', queue: 'q', pattern: 'x' })));
      expectError(rmq, 400, 'TRANSPORT_NOT_CONFIGURED', 'steps[1].compensation.transport', /RABBITMQ_URL/);
      const metadata = await api.post('/v1/definitions', definition((d) => (d.steps[0].action = { transport: 'tcp', host: '169.254.169.254', port: 80, pattern: 'x' })));
      expectError(metadata, 400, 'FORBIDDEN_TARGET', 'steps[0].action.host', /link-local/);
    });

    it('rejects a dependency cycle with 400 naming the cycle', async () => {
      const res = await api.post('/v1/definitions', {
        name: 'cyclic',
        type: 'saga',
        steps: [step('a', { dependsOn: ['c'] }), step('b', { dependsOn: ['a'] }), step('c', { dependsOn: ['b'] })],
      });
      expectError(res, 400, 'VALIDATION_FAILED', 'steps', /dependency cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c)/);
    });

    it('reports every problem of a definition at once', async () => {
      const res = await api.post(
        '/v1/definitions',
        definition((d) => {
          d.name = 'Bad Name';
          d.retry.maxAttempts = 0;
          d.steps[0].action.url = 'ftp://x';
        }),
      );
      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toEqual(
        expect.arrayContaining(['name', 'retry.maxAttempts', 'steps[0].action.url']),
      );
    });

    it('rejects invalid JSON text with 400 INVALID_JSON', async () => {
      for (const text of ['{', '{"name": "x",}', "{'name': 'x'}", 'nul', '{"a":1}{"b":2}', '[1, 2', '{"a": NaN}', '{"a": Infinity}', '\u0000']) {
        expectError(await api.post('/v1/definitions', text), 400, 'INVALID_JSON');
      }
    });

    it('rejects JSON that is not an object with 400 VALIDATION_FAILED', async () => {
      for (const text of ['null', '[]', '"checkout"', '42', 'true', '[{"name": "checkout"}]']) {
        expectError(await api.post('/v1/definitions', text), 400, 'VALIDATION_FAILED', '');
      }
    });

    it('rejects an empty body with 400', async () => {
      expectError(await api.post('/v1/definitions', ''), 400, 'VALIDATION_FAILED');
      expectError(await api.post('/v1/definitions', '   \n'), 400, 'VALIDATION_FAILED');
      expectError(await api.call('POST', '/v1/definitions'), 400, 'VALIDATION_FAILED'); // no body, no content type
    });

    it('rejects a body that is not JSON by its content type with 415', async () => {
      const body = JSON.stringify(validDefinition());
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx']) {
        expectError(await api.post('/v1/definitions', body, { 'content-type': type }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      }
    });

    it('rejects a body over the size limit with 413', async () => {
      const huge = definition((d) => (d.description = 'x'.repeat(MAX_BODY_BYTES)));
      expectError(await api.post('/v1/definitions', huge), 413, 'PAYLOAD_TOO_LARGE');
    });

    it('answers 404 DEFINITION_NOT_FOUND for unknown names and versions', async () => {
      for (const path of [
        '/v1/definitions/nope',
        '/v1/definitions/Not%20A%20Name',
        '/v1/definitions/%00',
        `/v1/definitions/${'a'.repeat(300)}`,
        '/v1/definitions/checkout/versions/2',
        '/v1/definitions/checkout/versions/0',
        '/v1/definitions/checkout/versions/-1',
        '/v1/definitions/checkout/versions/abc',
        '/v1/definitions/checkout/versions/1e3',
        '/v1/definitions/checkout/versions/99999999999999999999',
      ]) {
        expectError(await api.get(path), 404, 'DEFINITION_NOT_FOUND');
      }
    });

    it('serves a definition whose name has the maximum length of 128 characters', async () => {
      const res = await api.get(`/v1/definitions/${longName}`);
      expect(res.status).toBe(200);
      expect(res.body.name).toBe(longName);
      expect((await api.get(`/v1/definitions/${longName}/versions/1`)).status).toBe(200);
    });

    it('answers malformed URLs with 400 in the error shape', async () => {
      for (const path of ['/v1/definitions/%zz', '/v1/definitions/%E0%A4%A', '/v1/transactions/%', `/v1/transactions/${'a'.repeat(1000)}`]) {
        expectError(await api.get(path), 400, 'VALIDATION_FAILED');
      }
    });

    it('answers unknown routes and methods with 404 in the error shape', async () => {
      expectError(await api.get('/v1/nothing-here'), 404, 'NOT_FOUND');
      expectError(await api.call('DELETE', '/v1/definitions/checkout'), 404, 'NOT_FOUND');
      expectError(await api.call('PUT', '/v1/transactions', {}), 404, 'NOT_FOUND');
    });
  });

  // ----------------------------------------------------------- transactions

  /** [behaviour, body, status, code, detail path, detail message]. */
  const invalidStarts: Array<[string, () => unknown, number, string, (string | RegExp)?, RegExp?]> = [
    ['neither definition nor spec', () => ({ input: {} }), 400, 'VALIDATION_FAILED', 'definition', /exactly one/],
    ['both definition and spec', () => ({ definition: 'checkout', spec: validSpec(), input: {} }), 400, 'VALIDATION_FAILED', 'definition', /exactly one/],
    ['an unknown definition', () => ({ definition: 'nope', input: {} }), 404, 'DEFINITION_NOT_FOUND'],
    ['an unknown version', () => ({ definition: 'checkout', version: 7, input: {} }), 404, 'DEFINITION_NOT_FOUND'],
    ['the largest version', () => ({ definition: 'checkout', version: 2_147_483_647 }), 404, 'DEFINITION_NOT_FOUND'],
    ['a version given as a string', () => ({ definition: 'checkout', version: '1' }), 400, 'VALIDATION_FAILED', 'version'],
    ['a version of 0', () => ({ definition: 'checkout', version: 0 }), 400, 'VALIDATION_FAILED', 'version'],
    ['a fractional version', () => ({ definition: 'checkout', version: 1.5 }), 400, 'VALIDATION_FAILED', 'version'],
    ['a version beyond int4', () => ({ definition: 'checkout', version: 2 ** 31 }), 400, 'VALIDATION_FAILED', 'version'],
    ['a version with a spec', () => ({ spec: validSpec(), version: 1 }), 400, 'VALIDATION_FAILED', 'version'],
    ['a definition name that is invalid', () => ({ definition: 'Check Out' }), 400, 'VALIDATION_FAILED', 'definition'],
    ['a definition name that is a number', () => ({ definition: 5 }), 400, 'VALIDATION_FAILED', 'definition'],
    ['a definition given as an object', () => ({ definition: { name: 'checkout' } }), 400, 'VALIDATION_FAILED', 'definition'],
    ['an inline spec with no steps', () => ({ spec: { ...validSpec(), steps: [] } }), 400, 'VALIDATION_FAILED', 'spec.steps'],
    ['an inline spec with a bad URL', () => ({ spec: { ...validSpec(), steps: [step('a', { action: { url: 'ftp://x' } })] } }), 400, 'VALIDATION_FAILED', 'spec.steps[0].action.url'],
    ['an inline spec with a cycle', () => ({ spec: { type: 'saga', steps: [step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] })] } }), 400, 'VALIDATION_FAILED', 'spec.steps', /cycle/],
    ['an inline spec with a name', () => ({ spec: validDefinition() }), 400, 'VALIDATION_FAILED', 'spec', /name/],
    ['an inline spec without a type', () => ({ spec: { steps: validSpec().steps } }), 400, 'VALIDATION_FAILED', 'spec.type'],
    ['an inline spec that is a string', () => ({ spec: 'saga' }), 400, 'VALIDATION_FAILED', 'spec'],
    ['an inline spec that is an array', () => ({ spec: [validSpec()] }), 400, 'VALIDATION_FAILED', 'spec'],
    ['an inline spec that is null', () => ({ spec: null }), 400, 'VALIDATION_FAILED', /^(spec|definition)$/],
    ['an inline spec naming NATS, which is not configured', () => ({ spec: { type: 'saga', steps: [{ name: 'a', action: { transport: 'nats', pattern: 'a' } }] } }), 400, 'TRANSPORT_NOT_CONFIGURED', 'spec.steps[0].action.transport', /NATS_URL/],
    ['an unknown field', () => ({ definition: 'checkout', priority: 'high' }), 400, 'VALIDATION_FAILED', '', /priority/],
    ['an idempotency key that is a number', () => ({ definition: 'checkout', idempotencyKey: 5 }), 400, 'VALIDATION_FAILED', 'idempotencyKey'],
    ['an empty idempotency key', () => ({ definition: 'checkout', idempotencyKey: '' }), 400, 'VALIDATION_FAILED', 'idempotencyKey'],
    ['an idempotency key with spaces', () => ({ definition: 'checkout', idempotencyKey: 'order 1' }), 400, 'VALIDATION_FAILED', 'idempotencyKey'],
    ['an idempotency key of 256 characters', () => ({ definition: 'checkout', idempotencyKey: 'k'.repeat(256) }), 400, 'VALIDATION_FAILED', 'idempotencyKey'],
    ['the same idempotency key with another input', () => ({ definition: 'checkout', input: { total: 43 }, idempotencyKey: 'baseline-key' }), 409, 'IDEMPOTENCY_KEY_REUSED'],
    ['the same idempotency key with another version', () => ({ definition: 'checkout', version: 1, input: { total: 42 }, idempotencyKey: 'baseline-key' }), 409, 'IDEMPOTENCY_KEY_REUSED'],
    ['the same idempotency key with an inline spec', () => ({ spec: validSpec(), input: { total: 42 }, idempotencyKey: 'baseline-key' }), 409, 'IDEMPOTENCY_KEY_REUSED'],
    ['an input holding U+0000', () => ({ definition: 'checkout', input: { note: 'a\u0000b' } }), 400, 'VALIDATION_FAILED', 'input.note', /U\+0000/],
    ['an input holding a lone surrogate', () => ({ definition: 'checkout', input: ['\udfff'] }), 400, 'VALIDATION_FAILED', 'input[0]', /surrogate/],
    // As text: too deep for JSON.stringify here.
    ['an input nested 5000 levels deep', () => `{"definition": "checkout", "input": ${nestedText(5000)}}`, 400, 'VALIDATION_FAILED', /^input/, /nested deeper/],
    ['an inline spec nested 3000 levels deep', () => JSON.stringify({ spec: { ...validSpec(), steps: [step('a', { input: '@deep' })] } }).replace('"@deep"', nestedText(3000)), 400, 'VALIDATION_FAILED', /^spec\.steps\[0\]\.input/, /nested deeper/],
    ['an idempotency key nested in an array', () => ({ definition: 'checkout', idempotencyKey: ['k'] }), 400, 'VALIDATION_FAILED', 'idempotencyKey'],
    ['an input holding a __proto__ key', () => JSON.parse('{"definition": "checkout", "input": {"order": {"__proto__": {"paid": true}}}}'), 400, 'VALIDATION_FAILED', 'input.order', /"__proto__" is not accepted/],
    ['an input holding constructor.prototype', () => ({ definition: 'checkout', input: { constructor: { prototype: { paid: true } } } }), 400, 'VALIDATION_FAILED', 'input.constructor', /"prototype" inside "constructor"/],
    // The schema of `spec` would drop the key without a word: the spec started would not be the one sent.
    ['an inline spec holding a __proto__ key', () => JSON.parse(`{"spec": {"__proto__": {"timeoutMs": 1}, "type": "saga", "steps": [{"name": "a", "action": {"url": "${url('/a')}"}}]}}`), 400, 'VALIDATION_FAILED', 'spec', /"__proto__"/],
    ['an inline spec overriding Idempotency-Key', () => ({ spec: { type: 'saga', steps: [step('a', { action: { url: url('/a'), headers: { 'Idempotency-Key': 'k' } } })] } }), 400, 'VALIDATION_FAILED', 'spec.steps[0].action.headers.Idempotency-Key', /set by the coordinator/],
  ];

  describe('transactions API', () => {
    const startCases = invalidStarts.map(([behaviour, body, status, code, path, message]) => ({ behaviour, body, status, code, path, message }));
    it.each(startCases)('rejects a start with $behaviour', async ({ body, status, code, path, message }) => {
      expectError(await api.post('/v1/transactions', body()), status, code, path, message);
    });

    it('rejects an Idempotency-Key header that differs from the body field with 400 IDEMPOTENCY_KEY_CONFLICT', async () => {
      const res = await api.post('/v1/transactions', { definition: 'checkout', idempotencyKey: 'body-key' }, { 'idempotency-key': 'header-key' });
      expectError(res, 400, 'IDEMPOTENCY_KEY_CONFLICT');
    });

    it('rejects a reused Idempotency-Key header with a different request with 409 IDEMPOTENCY_KEY_REUSED', async () => {
      const res = await api.post('/v1/transactions', { definition: 'checkout', input: { total: 1 } }, { 'idempotency-key': 'baseline-key' });
      expectError(res, 409, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('rejects an invalid Idempotency-Key header with 400', async () => {
      for (const key of ['a b', 'k'.repeat(256), '\u00e9t\u00e9']) {
        const res = await api.post('/v1/transactions', { definition: 'nope' }, { 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') });
        expectError(res, 400, 'VALIDATION_FAILED');
      }
    });

    it('still replays the baseline transaction for its own request (the 409s did not replace it)', async () => {
      const res = await api.post('/v1/transactions', { definition: 'checkout', input: { total: 42 }, idempotencyKey: 'baseline-key' });
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(completedId);
    });

    it('rejects start bodies that are not a JSON object', async () => {
      for (const text of ['null', '[]', '"checkout"', '0', 'false']) {
        expectError(await api.post('/v1/transactions', text), 400, 'VALIDATION_FAILED');
      }
      expectError(await api.post('/v1/transactions', '{"definition": "checkout"'), 400, 'INVALID_JSON');
      expectError(await api.post('/v1/transactions', ''), 400, 'VALIDATION_FAILED');
      expectError(await api.post('/v1/transactions', '{}', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
      expectError(
        await api.post('/v1/transactions', { definition: 'checkout', input: { blob: 'x'.repeat(MAX_BODY_BYTES) } }),
        413,
        'PAYLOAD_TOO_LARGE',
      );
    });

    it.each([
      ['waitMs=-1', 'waitMs'],
      ['waitMs=abc', 'waitMs'],
      ['waitMs=1.5', 'waitMs'],
      ['waitMs=3600001', 'waitMs'],
      ['waitMs=1&waitMs=2', 'waitMs'],
      ['wait=100', ''],
    ])('rejects a start with the query %s', async (query, path) => {
      expectError(await api.post(`/v1/transactions?${query}`, { definition: 'checkout', input: { total: 1 } }), 400, 'VALIDATION_FAILED', path);
    });

    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    it.each([
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=-5', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=2.5', 'limit'],
      ['status=running', 'status'],
      ['status=NOPE', 'status'],
      ['status=RUNNING&status=STUCK', 'status'],
      ['definition=Not%20A%20Name', 'definition'],
      // An ISO offset may reach ±23:59, Postgres takes ±15:59: these were 500s.
      ['from=0001-01-01T00:00:00%2B23:59', 'from'],
      ['to=9999-12-31T23:59:59-16:00', 'to'],
      ['cursor=garbage', 'cursor'],
      [`cursor=${'A'.repeat(600)}`, 'cursor'],
      [`cursor=${forged(['1', UNKNOWN_ID])}`, 'cursor'],
      [`cursor=${forged(['May 5', UNKNOWN_ID])}`, 'cursor'],
      [`cursor=${forged(['+275760-09-13T00:00:00.000000Z', UNKNOWN_ID])}`, 'cursor'],
      [`cursor=${forged(['0000-01-01T00:00:00.000000Z', UNKNOWN_ID])}`, 'cursor'],
      [`cursor=${forged(['2026-02-30T00:00:00.000000Z', UNKNOWN_ID])}`, 'cursor'],
      [`cursor=${forged(['2026-01-01T00:00:00.000000Z', 'not-a-uuid'])}`, 'cursor'],
      [`cursor=${forged({ createdAt: '2026-01-01T00:00:00.000000Z' })}`, 'cursor'],
      ['sort=asc', ''],
    ])('rejects listing transactions with %s', async (query, path) => {
      expectError(await api.get(`/v1/transactions?${query}`), 400, 'VALIDATION_FAILED', path);
    });

    it('pages with a well-formed cursor that matches nothing', async () => {
      const res = await api.get(`/v1/transactions?cursor=${forged(['2001-01-01T00:00:00.000000Z', UNKNOWN_ID])}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], nextCursor: null });
    });

    const ids = ['not-a-uuid', UNKNOWN_ID, '00000000-0000-0000-0000-00000000000g', `${UNKNOWN_ID}0`, "1' OR '1'='1"];
    it.each(ids)('answers 404 TRANSACTION_NOT_FOUND for transaction id %j on every route', async (raw) => {
      const id = encodeURIComponent(raw);
      expectError(await api.get(`/v1/transactions/${id}`), 404, 'TRANSACTION_NOT_FOUND');
      expectError(await api.get(`/v1/transactions/${id}?waitMs=10`), 404, 'TRANSACTION_NOT_FOUND');
      expectError(await api.get(`/v1/transactions/${id}/attempts`), 404, 'TRANSACTION_NOT_FOUND');
      expectError(await api.post(`/v1/transactions/${id}/abort`), 404, 'TRANSACTION_NOT_FOUND');
      expectError(await api.post(`/v1/admin/transactions/${id}/retry`, {}), 404, 'TRANSACTION_NOT_FOUND');
      expectError(await api.post(`/v1/admin/transactions/${id}/resolve`, { note: 'by hand' }), 404, 'TRANSACTION_NOT_FOUND');
    });

    it('rejects a bad waitMs on GET before looking the transaction up', async () => {
      expectError(await api.get(`/v1/transactions/${completedId}?waitMs=-1`), 400, 'VALIDATION_FAILED', 'waitMs');
      expectError(await api.get(`/v1/transactions/${completedId}?waitMs=soon`), 400, 'VALIDATION_FAILED', 'waitMs');
    });

    it('rejects aborting a terminal transaction with 409 INVALID_STATE', async () => {
      expectError(await api.post(`/v1/transactions/${completedId}/abort`), 409, 'INVALID_STATE');
    });
  });

  // --------------------------------------------------------------- operators

  describe('operator API', () => {
    it('rejects resolve without a note with 400', async () => {
      expectError(await api.post(`/v1/admin/transactions/${completedId}/resolve`, {}), 400, 'VALIDATION_FAILED', 'note');
      expectError(await api.post(`/v1/admin/transactions/${completedId}/resolve`, { note: '' }), 400, 'VALIDATION_FAILED', 'note');
      expectError(await api.post(`/v1/admin/transactions/${completedId}/resolve`, { note: 7 }), 400, 'VALIDATION_FAILED', 'note');
      expectError(await api.call('POST', `/v1/admin/transactions/${UNKNOWN_ID}/resolve`), 400, 'VALIDATION_FAILED', 'note');
    });

    it('rejects a resolve or retry body with unknown fields with 400', async () => {
      expectError(await api.post(`/v1/admin/transactions/${completedId}/resolve`, { note: 'x', status: 'RESOLVED' }), 400, 'VALIDATION_FAILED', '', /status/);
      expectError(await api.post(`/v1/admin/transactions/${completedId}/retry`, { force: true }), 400, 'VALIDATION_FAILED', '', /force/);
      expectError(await api.post(`/v1/admin/transactions/${completedId}/retry`, { note: ['x'] }), 400, 'VALIDATION_FAILED', 'note');
    });

    it('rejects retrying or resolving a COMPLETED transaction with 409 INVALID_STATE', async () => {
      expectError(await api.post(`/v1/admin/transactions/${completedId}/retry`, {}), 409, 'INVALID_STATE');
      expectError(await api.post(`/v1/admin/transactions/${completedId}/resolve`, { note: 'nothing to do' }), 409, 'INVALID_STATE');
    });

    it.each([
      [{}, 'status'],
      [{ status: 'RUNNING' }, 'status'],
      [{ status: 'STUCK', limit: 0 }, 'limit'],
      [{ status: 'STUCK', limit: '10' }, 'limit'],
      [{ status: 'STUCK', definition: 'Bad Name' }, 'definition'],
      [{ status: 'STUCK', everything: true }, ''],
    ])('rejects the bulk retry body %j with 400', async (body, path) => {
      expectError(await api.post('/v1/admin/transactions/retry', body), 400, 'VALIDATION_FAILED', path);
    });

    it.each(['limit=0', 'limit=501', 'before=abc', 'before=-1', 'after=1'])('rejects the audit query %s with 400', async (query) => {
      expectError(await api.get(`/v1/admin/audit?${query}`), 400, 'VALIDATION_FAILED');
    });
  });

  // ------------------------------------------------------------ stored state

  describe('stored state', () => {
    it('is exactly the same after every invalid request above was sent again', async () => {
      const before = await snapshot();
      const requests: Array<Promise<ApiResponse>> = [];
      for (const [, body] of invalidDefinitions) requests.push(api.post('/v1/definitions', body()));
      for (const [, body] of invalidStarts) requests.push(api.post('/v1/transactions', body()));
      requests.push(
        api.post('/v1/definitions', '{'),
        api.post('/v1/definitions', JSON.stringify(validDefinition()), { 'content-type': 'text/plain' }),
        api.post('/v1/definitions', definition((d) => (d.description = 'x'.repeat(MAX_BODY_BYTES)))),
        api.post('/v1/definitions', { ...validDefinition(), steps: [step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] })] }),
        api.post('/v1/transactions', { definition: 'checkout', idempotencyKey: 'x' }, { 'idempotency-key': 'y' }),
        api.post('/v1/transactions', { definition: 'checkout', input: { total: 1 } }, { 'idempotency-key': 'baseline-key' }),
        api.post('/v1/transactions?waitMs=-1', { definition: 'checkout', input: { total: 1 } }),
        api.post(`/v1/transactions/${completedId}/abort`),
        api.post(`/v1/transactions/${UNKNOWN_ID}/abort`),
        api.post(`/v1/admin/transactions/${completedId}/retry`, {}),
        api.post(`/v1/admin/transactions/${completedId}/resolve`, { note: 'nothing to do' }),
        api.post(`/v1/admin/transactions/${completedId}/resolve`, {}),
        api.post('/v1/admin/transactions/retry', { status: 'RUNNING' }),
      );
      const responses = await Promise.all(requests);
      for (const res of responses) {
        expect(CONTRACT_4XX).toContain(res.status);
        expectErrorShape(res);
      }
      expect(await snapshot()).toEqual(before);
      expect(before.definitions.items.map((d: { name: string; version: number }) => `${d.name}@${d.version}`).sort()).toEqual(
        ['checkout@1', 'deepest@1', `${longName}@1`, 'reservation-tcc@1'].sort(),
      );
      expect(before.transactions.items.map((t: { id: string }) => t.id)).toEqual([completedId]);
      expect(before.audit.items).toEqual([]);
    });
  });

  // -------------------------------------------------------------------- fuzz

  describe('fuzzing', () => {
    it('answers a few hundred mutated bodies without a 5xx, then still runs a saga end to end', async () => {
      const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() ^ (Math.random() * 0x7fffffff);
      const cases = fc.sample(fuzzCase(validDefinition(), { definition: 'checkout', input: { total: 42 }, idempotencyKey: 'fuzz-key' }, completedId), {
        seed,
        numRuns: 400,
      });
      const failures: string[] = [];
      const seen = new Map<number, number>();
      for (let i = 0; i < cases.length; i += 8) {
        await Promise.all(
          cases.slice(i, i + 8).map(async (c) => {
            const res = await api.post(c.path, c.text, c.contentType ? { 'content-type': c.contentType } : {});
            seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
            const shapeOk =
              res.status < 400 ||
              (typeof res.body === 'object' &&
                res.body !== null &&
                typeof res.body.error?.code === 'string' &&
                typeof res.body.error?.message === 'string' &&
                Array.isArray(res.body.error?.details));
            if (res.status >= 500 || ![200, 201, 202, ...CONTRACT_4XX].includes(res.status) || !shapeOk) {
              failures.push(`${res.status} POST ${c.path} ${c.text.slice(0, 300)} -> ${JSON.stringify(res.body).slice(0, 300)}`);
            }
          }),
        );
      }
      expect({ seed, statuses: Object.fromEntries(seen), failures }).toEqual({ seed, statuses: Object.fromEntries(seen), failures: [] });
      // The mutations mostly produced bad input, but not only: both sides were exercised.
      expect(seen.get(400) ?? 0).toBeGreaterThan(100);
      expect(coordinator.logs()).not.toContain('unhandled error');

      const ready = await api.get('/health/ready');
      expect(ready.status).toBe(200);

      // Version 1: the fuzz may have registered later versions of "checkout".
      const res = await api.post('/v1/transactions?waitMs=30000', { definition: 'checkout', version: 1, input: { total: 7 } });
      expect(res.status).toBe(201);
      expect(res.body.status).toBe('COMPLETED');
      expect(res.body.steps.map((s: { status: string }) => s.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      const charge = (await calls(participant.url, '/charge')).find((c) => (c.body as { transactionId?: string }).transactionId === res.body.id);
      expect((charge?.body as { input?: unknown }).input).toEqual({ amount: 7, reservation: '/reserve' });
    });
  });
});

/** `{"deeper": [{"deeper": … }]}` as text, `depth` levels deep. */
function nestedText(depth: number): string {
  let open = '';
  let close = '';
  for (let i = 0; i < depth; i++) {
    open += i % 2 === 0 ? '{"deeper":' : '[';
    close = (i % 2 === 0 ? '}' : ']') + close;
  }
  return `${open}"bottom"${close}`;
}

/** `[{"deeper": [ … ]}]` nested `depth` levels deep. */
function nest(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { deeper: value };
  return value;
}

// -------------------------------------------------------------- fuzz bodies

interface FuzzCase {
  path: string;
  text: string;
  contentType?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A raw JSON token that JSON.stringify cannot write (-0, 1e400, …): a
 * placeholder string replaced in the serialised text. */
const RAW = (token: string) => `@@raw(${token})@@`;
const RAW_PATTERN = /"@@raw\((.*?)\)@@"/g;

const oddNumbers = fc.constantFrom<Json>(
  1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_SAFE_INTEGER - 2, 2 ** 31, -(2 ** 31) - 1, 0.1, -1, 0,
  RAW('-0'), RAW('1e400'), RAW('-1e400'), RAW('1E+2'), RAW('123456789012345678901234567890'), RAW('0.0000000000000000000001'),
);
const oddStrings = fc.oneof(
  fc.constantFrom<Json>('NaN', 'Infinity', '-Infinity', 'null', 'true', '', ' ', '{{input}}', '{{steps.reserve.output}}', '{{transaction.id}}',
    'http://', 'ftp://x', '../../etc/passwd', "'; DROP TABLE transactions; --", '\u202e\u0000', '\ud800', '\udc00x', '\ud83d\ude00',
    'STUCK', 'saga', 'tcc', '__proto__', 'constructor'),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 20 }),
  fc.integer({ min: 1000, max: 1_200_000 }).map((n) => 'x'.repeat(n)), // sometimes over the body limit
);
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 2, arbitrary: oddNumbers },
  { weight: 2, arbitrary: oddStrings },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false, [], {}, [null], { '': null }) },
);

type Mutation = (doc: Json, pick: number, value: Json, depth: number) => Json;

/** Every path to a value in `doc` (the root included). */
function paths(doc: Json, at: Array<string | number> = []): Array<Array<string | number>> {
  const out = [at];
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (doc !== null && typeof doc === 'object') for (const [k, v] of Object.entries(doc)) out.push(...paths(v, [...at, k]));
  return out;
}

function getAt(doc: Json, path: Array<string | number>): Json {
  return path.reduce<Json>((node, key) => (node as any)[key], doc);
}

/** A copy of `doc` with the value at `path` passed through `change` (undefined deletes it). */
function updateAt(doc: Json, path: Array<string | number>, change: (v: Json) => Json | undefined): Json {
  if (path.length === 0) return change(doc) ?? null;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) {
    const copy = [...doc];
    const next = rest.length === 0 ? change(copy[head as number]) : updateAt(copy[head as number], rest, change);
    if (next === undefined) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy = { ...(doc as Record<string, Json>) };
  const next = rest.length === 0 ? change(copy[head as string]) : updateAt(copy[head as string], rest, change);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}

const mutations: Mutation[] = [
  // delete a field or element
  (doc, pick) => {
    const all = paths(doc).filter((p) => p.length > 0);
    return all.length === 0 ? doc : updateAt(doc, all[pick % all.length], () => undefined);
  },
  // replace a value with a random one
  (doc, pick, value) => {
    const all = paths(doc);
    return updateAt(doc, all[pick % all.length], () => value);
  },
  // add a random field to an object, or an element to an array
  (doc, pick, value) => {
    const containers = paths(doc).filter((p) => typeof getAt(doc, p) === 'object' && getAt(doc, p) !== null);
    if (containers.length === 0) return doc;
    return updateAt(doc, containers[pick % containers.length], (node) =>
      Array.isArray(node) ? [...node, value] : { ...(node as Record<string, Json>), [`extra${pick % 7}`]: value },
    );
  },
  // duplicate an element (a step twice, a dependency twice, …)
  (doc, pick) => {
    const arrays = paths(doc).filter((p) => Array.isArray(getAt(doc, p)) && (getAt(doc, p) as Json[]).length > 0);
    if (arrays.length === 0) return doc;
    return updateAt(doc, arrays[pick % arrays.length], (node) => {
      const items = node as Json[];
      return [...items, items[pick % items.length]];
    });
  },
  // an array where an object is expected, or the reverse
  (doc, pick) => {
    const all = paths(doc);
    return updateAt(doc, all[pick % all.length], (node) =>
      Array.isArray(node) ? Object.fromEntries(node.map((v, i) => [String(i), v])) : [node],
    );
  },
  // nest a value deeply (sometimes beyond the coordinator's depth limit)
  (doc, pick, _value, depth) => {
    const all = paths(doc);
    return updateAt(doc, all[pick % all.length], (node) => {
      let nested: Json = node;
      for (let i = 0; i < depth; i++) nested = i % 3 === 0 ? { n: nested } : [nested];
      return nested;
    });
  },
];

const mutated = (base: Json) =>
  fc
    .array(
      fc.record({
        mutation: fc.integer({ min: 0, max: mutations.length - 1 }),
        pick: fc.nat(),
        value: anyJson,
        depth: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 100, max: 400 })),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((steps) => steps.reduce<Json>((doc, s) => mutations[s.mutation](doc, s.pick, s.value, s.depth), base));

/** Serialises with the raw tokens in place; sometimes breaks the text itself. */
const asText = (doc: fc.Arbitrary<Json>) =>
  fc.tuple(doc, fc.integer({ min: 0, max: 9 }), fc.nat(), fc.constantFrom('{', '}', ',', '"', '\\', ':', ']', '\u0000')).map(
    ([value, mode, at, junk]) => {
      const text = JSON.stringify(value).replace(RAW_PATTERN, '$1');
      const cut = text.length === 0 ? 0 : at % text.length;
      if (mode === 0) return text.slice(0, cut); // truncated
      if (mode === 1) return text.slice(0, cut) + junk + text.slice(cut); // a stray character
      return text;
    },
  );

function fuzzCase(definition: unknown, start: unknown, transactionId: string): fc.Arbitrary<FuzzCase> {
  const target = (path: string, base: unknown) =>
    fc.record({
      path: fc.constant(path),
      text: asText(mutated(base as Json)),
      contentType: fc.oneof(
        { weight: 20, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'application/vnd.api+json', 'text/json', 'application/octet-stream') },
      ),
    });
  return fc.oneof(
    { weight: 9, arbitrary: target('/v1/definitions', definition) },
    { weight: 6, arbitrary: target('/v1/transactions', start) },
    { weight: 3, arbitrary: target('/v1/transactions', { spec: (({ name: _n, ...spec }) => spec)(definition as { name: string }), input: { total: 1 } }) },
    { weight: 1, arbitrary: target(`/v1/admin/transactions/${transactionId}/resolve`, { note: 'fuzz' }) },
    { weight: 1, arbitrary: target(`/v1/admin/transactions/${transactionId}/retry`, { note: 'fuzz' }) },
    { weight: 1, arbitrary: target('/v1/admin/transactions/retry', { status: 'STUCK', definition: 'checkout', limit: 5 }) },
  );
}
