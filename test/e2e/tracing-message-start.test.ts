/**
 * Starts by message join the caller's trace: an `accord.transactions.start`
 * message over NATS whose data carries `headers.traceparent` (and
 * `tracestate`), as a participant call's data does, makes the transaction
 * part of that trace, as the same headers do on an HTTP start. The NATS
 * server is this test's own: the start subject and queue group are fixed,
 * and another coordinator on a shared server could take the message.
 */
import { randomBytes } from 'node:crypto';
import { ClientNats } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { START_PATTERN } from '@accord/contracts';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startNats, type NatsProcess } from '../support/nats-process';
import { ancestry, parseTraceparent, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver';
import { calls, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(120_000);

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

describe('tracing of starts by message', () => {
  let receiver: OtlpReceiver;
  let participant: ParticipantProcess;
  let nats: NatsProcess;
  let coordinator: CoordinatorProcess;
  let api: Api;
  let client: ClientNats;

  beforeAll(async () => {
    [receiver, participant, nats] = await Promise.all([startOtlpReceiver(), startParticipant('scriptable'), startNats()]);
    coordinator = await startCoordinator({
      label: 'tracing_message_start',
      env: {
        NATS_URL: nats.url,
        START_TRANSPORT: 'nats',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    api = new Api(coordinator.url);
    client = new ClientNats({ servers: [nats.url] });
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await coordinator?.stop();
    await Promise.all([participant?.stop(), nats?.stop(), receiver?.close()]);
  });

  const send = (data: unknown) => lastValueFrom(client.send<Record<string, any>>(START_PATTERN, data));

  /** A two-step saga whose calls go to `/<prefix>/<step>`. */
  const saga = (prefix: string) => ({
    type: 'saga',
    steps: ['a', 'b'].map((name) => ({ name, action: { url: `${participant.url}/${prefix}/${name}` } })),
  });

  /** The transaction's start span, once it and both call spans arrived, and the calls the participant received. */
  const spansOf = async (id: string, prefix: string) => {
    const spans = await receiver.waitFor(
      (all) => all.filter((s) => s.attributes['accord.transaction.id'] === id && /^accord\.(step|transaction) /.test(s.name)).length === 3,
    );
    const start = spans.find((s) => s.name === 'accord.transaction start' && s.attributes['accord.transaction.id'] === id)!;
    return { spans, start, received: (await calls(participant.url)).filter((c) => c.path.startsWith(`/${prefix}/`)) };
  };

  it('puts a transaction started by a message with headers.traceparent in the caller trace: caller → start → a span per call', async () => {
    const caller = { traceId: hex(16), spanId: hex(8) };
    const started = await send({
      spec: saga('ms'),
      idempotencyKey: `message-start-${hex(4)}`,
      headers: { traceparent: `00-${caller.traceId}-${caller.spanId}-01`, tracestate: 'caller=bXNn' },
    });
    expect(started).toEqual({ id: expect.any(String), status: 'RUNNING' });
    expect((await api.settle(started.id)).status).toBe('COMPLETED');

    const { spans, start, received } = await spansOf(started.id, 'ms');
    expect(start).toMatchObject({ traceId: caller.traceId, parentSpanId: caller.spanId });
    expect(received.map((c) => c.path)).toEqual(['/ms/a', '/ms/b']);
    for (const call of received) {
      const { traceId, parentId } = parseTraceparent(call.headers.traceparent);
      expect(traceId).toBe(caller.traceId);
      expect(call.headers.tracestate).toBe('caller=bXNn');
      const [span, ...above] = ancestry(spans, parentId);
      expect(span).toMatchObject({ name: 'accord.step action', attributes: expect.objectContaining({ 'accord.transaction.id': started.id }) });
      expect(above.map((s) => s.spanId)).toContain(start.spanId);
    }
  });

  it('starts a trace of its own for a message without headers, or with a traceparent that is not W3C', async () => {
    for (const [prefix, headers] of [['mn', undefined], ['mi', { traceparent: 'not-a-traceparent', tracestate: 'caller=x' }]] as const) {
      const started = await send({ spec: saga(prefix), idempotencyKey: `message-start-${hex(4)}`, ...(headers ? { headers } : {}) });
      expect((await api.settle(started.id)).status).toBe('COMPLETED');
      const { start, received } = await spansOf(started.id, prefix);
      expect(start.parentSpanId).toBeNull();
      expect(received.map((c) => parseTraceparent(c.headers.traceparent).traceId)).toEqual([start.traceId, start.traceId]);
      expect(received.map((c) => c.headers.tracestate)).toEqual([undefined, undefined]);
    }
  });

  it('refuses headers that are not an object, or a traceparent that is not a string, with VALIDATION_FAILED, starting nothing', async () => {
    const idempotencyKey = `message-start-${hex(4)}`;
    for (const headers of ['00-abc', { traceparent: 42 }]) {
      expect(await send({ spec: saga('mb'), idempotencyKey, headers })).toEqual({
        error: expect.objectContaining({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: expect.stringMatching(/^headers/) })] }),
      });
    }
    expect((await api.get(`/v1/transactions?idempotencyKey=${idempotencyKey}`)).body.items).toEqual([]);
  });
});
