/**
 * Shutdown with tracing on: SIGTERM sends the spans still buffered to a
 * collector that answers, and does not wait out the exporter's timeout when
 * none does (nothing listens, or a server accepts and never answers). Each
 * traced shutdown is compared with the same shutdown with tracing off, run
 * here too, against the export timeout configured: a process that waited
 * for the exporter would take that long more.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Api, startCoordinator } from '../support/coordinator-process';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver';
import { startParticipant, type ParticipantProcess } from '../support/participant-process';
import { freePort } from '../support/test-env';

jest.setTimeout(120_000);

/** Long, so that waiting for the exporter is unmistakable next to a shutdown's own time. */
const EXPORT_TIMEOUT_MS = 20_000;

/** Accepts connections and never answers. */
async function startBlackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

describe('shutdown with tracing on', () => {
  let participant: ParticipantProcess;

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
  });

  afterAll(async () => {
    await participant?.stop();
  });

  const tracingEnv = (endpoint: string, protocol = 'http/protobuf') => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_EXPORTER_OTLP_TIMEOUT: String(EXPORT_TIMEOUT_MS),
    // Nothing is exported before SIGTERM: what there is to send, shutdown sends.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  });

  /** Runs a saga to its end, then SIGTERM: the transaction's id and how long the exit took. */
  const runThenStop = async (label: string, env: Record<string, string>, beforeStop: () => void = () => undefined) => {
    const coordinator = await startCoordinator({ label, env });
    try {
      const api = new Api(coordinator.url);
      const tx = await api.post('/v1/transactions?waitMs=20000', {
        spec: { type: 'saga', steps: ['a', 'b'].map((name) => ({ name, action: { url: `${participant.url}/${label}/${name}` } })) },
      });
      expect(tx.body.status).toBe('COMPLETED');
      beforeStop();
      const stopping = performance.now();
      await coordinator.stop();
      const stopMs = performance.now() - stopping;
      expect({ code: coordinator.process.exitCode, logs: coordinator.logs() }).toEqual({ code: 0, logs: expect.not.stringContaining('shutdown timed out') });
      return { id: tx.body.id as string, stopMs };
    } finally {
      await coordinator.kill();
    }
  };

  let untracedStopMs: number;

  beforeAll(async () => {
    ({ stopMs: untracedStopMs } = await runThenStop('shutdown_untraced', {}));
  });

  it('exits without waiting for the exporter when nothing listens at the endpoint', async () => {
    const { stopMs } = await runThenStop('shutdown_refused', tracingEnv(`http://127.0.0.1:${await freePort()}`));
    expect(stopMs).toBeLessThan(untracedStopMs + EXPORT_TIMEOUT_MS / 4);
  });

  it('exits without waiting for the exporter when the collector accepts and never answers', async () => {
    const blackHole = await startBlackHole();
    try {
      const { stopMs } = await runThenStop('shutdown_black_hole', tracingEnv(blackHole.url));
      expect(stopMs).toBeLessThan(untracedStopMs + EXPORT_TIMEOUT_MS / 4);
    } finally {
      await blackHole.close();
    }
  });

  describe('with a collector that answers', () => {
    let receiver: OtlpReceiver;

    beforeAll(async () => {
      receiver = await startOtlpReceiver();
    });

    afterAll(async () => {
      await receiver?.close();
    });

    it('sends the spans still buffered at SIGTERM before the process exits', async () => {
      const { id } = await runThenStop('shutdown_flush', tracingEnv(receiver.url, 'http/json'), () => expect(receiver.spans()).toEqual([]));
      const spans = receiver.spans().filter((s) => s.attributes['accord.transaction.id'] === id);
      expect(spans.map((s) => s.name).sort()).toEqual(['accord.step action', 'accord.step action', 'accord.transaction start']);
    });
  });
});
