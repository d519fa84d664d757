/**
 * Tracing, end to end: the coordinator runs as a real process exporting
 * OTLP/JSON to a receiver inside this test. A start request's traceparent
 * makes the transaction part of the caller's trace: caller's span → the
 * start's spans → one `accord.step <phase>` span per participant call → the
 * traceparent the participant receives, for a saga, a TCC transaction, and a
 * saga whose coordinator is SIGKILLed in the middle of a call and restarted.
 */
import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { redisUrl } from '../support/test-env';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { ancestry, parseTraceparent, startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(120_000);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const KIND_CLIENT = 3;

describe('tracing over OTLP', () => {
  let receiver: OtlpReceiver;
  let participant: ParticipantProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;
  const tracingEnv = () => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'accord-under-test',
    // Export promptly: a SIGKILLed process loses what it still buffers.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'tracing', env: tracingEnv() });
    api = new Api(coordinator.url);
  }, 60_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
    await receiver?.close();
  });

  /** Starts `definition` as a child of a caller's span of a new trace; waits for its outcome. */
  const startTraced = async (definition: string, wait = true) => {
    const caller = { traceId: hex(16), spanId: hex(8) };
    const res = await api.post(
      `/v1/transactions${wait ? '?waitMs=20000' : ''}`,
      { definition, input: { n: 1 } },
      { traceparent: `00-${caller.traceId}-${caller.spanId}-01`, tracestate: 'caller=t61rcWkgMzE' },
    );
    expect(res.status).toBe(201);
    return { caller, tx: res.body };
  };

  const stepSpans = (spans: ReceivedSpan[], transactionId: string) =>
    spans.filter((s) => s.name.startsWith('accord.step ') && s.attributes['accord.transaction.id'] === transactionId);

  /** Each participant call of `transactionId` (but those `skip` names)
   * names, as parent, the span of that very call, in the caller's trace. */
  const expectCallsParented = async (
    prefix: string,
    transactionId: string,
    caller: { traceId: string; spanId: string },
    skip: (call: { path: string }, index: number) => boolean = () => false,
  ) => {
    const received = (await calls(participant.url))
      .filter((c) => c.path.startsWith(`/${prefix}/`) && c.headers['x-accord-transaction'] === transactionId)
      .filter((c, i) => !skip(c, i));
    expect(received.length).toBeGreaterThan(0);
    const spans = await receiver.waitFor(
      (all) =>
        received.every((c) => all.some((s) => s.spanId === parseTraceparent(c.headers.traceparent).parentId)) &&
        all.some((s) => s.parentSpanId === caller.spanId),
    );
    const start = spans.find((s) => s.name === 'accord.transaction start' && s.attributes['accord.transaction.id'] === transactionId);
    expect(start).toBeDefined();
    for (const call of received) {
      const { traceId, parentId } = parseTraceparent(call.headers.traceparent);
      expect(traceId).toBe(caller.traceId);
      expect(call.headers.tracestate).toBe('caller=t61rcWkgMzE');
      const [span, ...above] = ancestry(spans, parentId);
      expect(span).toMatchObject({
        traceId: caller.traceId,
        name: `accord.step ${String(call.headers['x-accord-phase'])}`,
        kind: KIND_CLIENT,
        service: 'accord-under-test',
        attributes: expect.objectContaining({
          'accord.transaction.id': transactionId,
          'accord.step.name': call.headers['x-accord-step'],
          'accord.step.phase': call.headers['x-accord-phase'],
          'accord.step.attempt': Number(call.headers['x-accord-attempt']),
          'accord.step.outcome': 'ok',
          'url.full': `${participant.url}${call.path}`,
          'http.response.status_code': 200,
        }),
      });
      // Up the tree: the start's span, then the caller's span (not exported by us: the root's parent).
      expect(above.map((s) => s.spanId)).toContain(start!.spanId);
      expect(above[above.length - 1].parentSpanId).toBe(caller.spanId);
    }
    return { spans, start: start!, received };
  };

  it('puts a saga in the caller trace: caller → start → one span per call → the participant', async () => {
    const def = await api.post('/v1/definitions', {
      name: 'traced-saga',
      type: 'saga',
      steps: ['a', 'b'].map((name) => ({
        name,
        action: { url: `${participant.url}/ts/${name}` },
        compensation: { url: `${participant.url}/ts/${name}/undo` },
      })),
    });
    expect(def.status).toBe(201);
    const { caller, tx } = await startTraced('traced-saga');
    expect(tx.status).toBe('COMPLETED');
    const { spans, start } = await expectCallsParented('ts', tx.id, caller);
    expect(start.attributes).toMatchObject({ 'accord.definition.name': 'traced-saga', 'accord.definition.version': def.body.version, 'accord.transaction.type': 'saga' });
    expect(stepSpans(spans, tx.id).map((s) => s.attributes['accord.definition.name'])).toEqual(['traced-saga', 'traced-saga']);
    // Postgres and Redis spans only below Accord's own: none is a root of its own trace.
    const roots = receiver.spans().filter((s) => s.parentSpanId === null);
    expect(roots.filter((s) => /^(pg|redis|ioredis)|^(SELECT|INSERT|UPDATE|WITH|BEGIN|COMMIT|evalsha|bzpopmin)/i.test(s.name))).toEqual([]);
  });

  it('puts a TCC transaction in the caller trace, try and confirm alike', async () => {
    const def = await api.post('/v1/definitions', {
      name: 'traced-tcc',
      type: 'tcc',
      steps: ['debit', 'credit'].map((name) => ({
        name,
        dependsOn: [],
        try: { url: `${participant.url}/tt/${name}/try` },
        confirm: { url: `${participant.url}/tt/${name}/confirm` },
        cancel: { url: `${participant.url}/tt/${name}/cancel` },
      })),
    });
    expect(def.status).toBe(201);
    const { caller, tx } = await startTraced('traced-tcc');
    expect(tx.status).toBe('CONFIRMED');
    const { received } = await expectCallsParented('tt', tx.id, caller);
    expect(received.map((c) => c.headers['x-accord-phase']).sort()).toEqual(['confirm', 'confirm', 'try', 'try']);
  });

  it('keeps the calls made after a SIGKILL, the loss of its jobs and a restart in the same trace, below the recovery', async () => {
    const def = await api.post('/v1/definitions', {
      name: 'traced-crash',
      type: 'saga',
      steps: ['a', 'b'].map((name) => ({
        name,
        action: { url: `${participant.url}/tk/${name}`, timeoutMs: 1000 },
        compensation: { url: `${participant.url}/tk/${name}/undo` },
      })),
    });
    expect(def.status).toBe(201);
    // The first call of b never answers: the coordinator dies holding it.
    await script(participant.url, { '/tk/b': { responses: [{ delayMs: 60_000 }] } });
    const { caller, tx } = await startTraced('traced-crash', false);
    const deadline = Date.now() + 20_000;
    while (!(await calls(participant.url)).some((c) => c.path === '/tk/b' && c.headers['x-accord-transaction'] === tx.id)) {
      if (Date.now() > deadline) throw new Error('b was never called');
      await new Promise((r) => setTimeout(r, 50));
    }
    // What the first process exported before it died: the start and step a.
    await receiver.waitFor((spans) => stepSpans(spans, tx.id).length === 1);
    const { databaseUrl, queuePrefix, port } = coordinator;
    await coordinator.kill('SIGKILL');
    // Redis loses this coordinator's jobs too: only Postgres knows b is owed.
    const redis = new IORedis(redisUrl());
    try {
      const keys = await redis.keys(`{${queuePrefix}}:*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    coordinator = await startCoordinator({ label: 'tracing', databaseUrl, queuePrefix, port, env: tracingEnv() });
    api = new Api(coordinator.url);
    expect((await api.settle(tx.id)).status).toBe('COMPLETED');

    // The first call of b: its span died with the process, unexported.
    const { spans, start, received } = await expectCallsParented('tk', tx.id, caller, (c, i) => c.path === '/tk/b' && i === 1);
    const [replayed] = received.filter((c) => c.path === '/tk/b');
    const [callSpan, recovery] = ancestry(spans, parseTraceparent(replayed.headers.traceparent).parentId);
    expect(callSpan.attributes['accord.step.name']).toBe('b');
    expect(recovery).toMatchObject({ name: 'accord.sweeper recover', parentSpanId: start.spanId, attributes: expect.objectContaining({ 'accord.step.name': 'b' }) });
  });
});
