/**
 * The three OTLP protocols of the contract, each with a coordinator process
 * of its own exporting to the receiver inside this test: whichever
 * OTEL_EXPORTER_OTLP_PROTOCOL says, a saga started with a traceparent
 * arrives as caller's span → the start's span → one span per call, and
 * the participant is called as a child of its call's span.
 */
import { randomBytes } from 'node:crypto';
import { Api, startCoordinator } from '../support/coordinator-process';
import { ancestry, parseTraceparent, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver';
import { calls, startParticipant, type ParticipantProcess } from '../support/participant-process';

jest.setTimeout(120_000);

const KIND_CLIENT = 3;

/** What each protocol's exporter sends, as the receiver records it. */
const PROTOCOLS = [
  { protocol: 'http/protobuf', contentType: 'application/x-protobuf' },
  { protocol: 'http/json', contentType: 'application/json' },
  { protocol: 'grpc', contentType: 'application/grpc' },
] as const;

describe('tracing over each OTLP protocol', () => {
  let receiver: OtlpReceiver;
  let participant: ParticipantProcess;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    participant = await startParticipant('scriptable');
  });

  afterAll(async () => {
    await participant?.stop();
    await receiver?.close();
  });

  it.each(PROTOCOLS)('exports a saga over $protocol in the caller trace: caller → start → a span per call', async ({ protocol, contentType }) => {
    const coordinator = await startCoordinator({
      label: `tracing_${protocol.replace('/', '_')}`,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? receiver.grpcUrl : receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_SERVICE_NAME: 'accord-under-test',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    try {
      const exportsBefore = receiver.contentTypes().length;
      const api = new Api(coordinator.url);
      const prefix = protocol.replace('/', '-');
      const caller = { traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex') };
      const tx = await api.post(
        '/v1/transactions?waitMs=20000',
        { spec: { type: 'saga', steps: ['a', 'b'].map((name) => ({ name, action: { url: `${participant.url}/${prefix}/${name}` } })) } },
        { traceparent: `00-${caller.traceId}-${caller.spanId}-01` },
      );
      expect(tx.body.status).toBe('COMPLETED');
      const id: string = tx.body.id;

      const ofTransaction = (name: string) => receiver.spans().filter((s) => s.name === name && s.attributes['accord.transaction.id'] === id);
      // The HTTP server span above the start's ends after the answer, so it
      // may come in a later export than the spans of the transaction.
      const spans = await receiver.waitFor(
        (all) =>
          ofTransaction('accord.transaction start').length === 1 &&
          ofTransaction('accord.step action').length === 2 &&
          all.some((s) => s.parentSpanId === caller.spanId),
      );
      expect(new Set(receiver.contentTypes().slice(exportsBefore))).toEqual(new Set([contentType]));

      const [start] = ofTransaction('accord.transaction start');
      expect(start).toMatchObject({ traceId: caller.traceId, service: 'accord-under-test', attributes: expect.objectContaining({ 'accord.transaction.type': 'saga' }) });
      // The start's span or the HTTP server span above it: a child of the caller's.
      expect(ancestry(spans, start.spanId).at(-1)!.parentSpanId).toBe(caller.spanId);

      const received = (await calls(participant.url)).filter((c) => c.path.startsWith(`/${prefix}/`));
      expect(received.map((c) => c.path)).toEqual([`/${prefix}/a`, `/${prefix}/b`]);
      for (const call of received) {
        const { traceId, parentId } = parseTraceparent(call.headers.traceparent);
        expect(traceId).toBe(caller.traceId);
        const [span, ...above] = ancestry(spans, parentId);
        expect(span).toMatchObject({
          traceId: caller.traceId,
          name: 'accord.step action',
          kind: KIND_CLIENT,
          attributes: expect.objectContaining({
            'accord.transaction.id': id,
            'accord.step.name': call.headers['x-accord-step'],
            'accord.step.attempt': 1,
            'accord.step.outcome': 'ok',
            'url.full': `${participant.url}${call.path}`,
            'http.response.status_code': 200,
          }),
        });
        expect(above.map((s) => s.spanId)).toContain(start.spanId);
      }
    } finally {
      await coordinator.stop();
    }
  });
});
