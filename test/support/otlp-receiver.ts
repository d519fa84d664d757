/**
 * An OTLP trace receiver inside the test process: the coordinator under test
 * exports to it and the test reads the spans back. It takes the three OTLP
 * protocols: http/json and http/protobuf at `url`
 * (OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url), grpc at `grpcUrl`; protobuf is
 * decoded into the JSON form (otlp-protobuf.ts), so spans read the same
 * whichever way they came.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Server as GrpcServer, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { decodeTraceRequest } from './otlp-protobuf';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  service: string | null;
  attributes: Record<string, string | number | boolean>;
  status: number;
}

export interface OtlpReceiver {
  /** Base URL of OTLP/HTTP (json and protobuf), for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Address of OTLP/gRPC, for OTEL_EXPORTER_OTLP_ENDPOINT with protocol grpc. */
  grpcUrl: string;
  spans(): ReceivedSpan[];
  /** Spans received so far (also those not kept). */
  count(): number;
  /** Content types of the export requests received, in order (`application/grpc` for a gRPC export). */
  contentTypes(): string[];
  /** Waits until `predicate` holds for the spans received (or throws, naming what came). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type Attributes = { key: string; value: AnyValue }[];
/** What an OTLP trace export holds, as far as the receiver reads it. */
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: Attributes };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: Attributes; status?: { code?: number } }[];
    }[];
  }[];
}

function value(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return v.doubleValue ?? '';
}

function attributes(list: { key: string; value: AnyValue }[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}

/** The collector's trace service: messages stay bytes, decoded by the handler. */
const TRACE_SERVICE: ServiceDefinition = {
  Export: {
    path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
    requestStream: false,
    responseStream: false,
    requestSerialize: (message: Buffer) => message,
    requestDeserialize: (bytes: Buffer) => bytes,
    // An empty ExportTraceServiceResponse: full success.
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: () => ({}),
  },
};

/** `keep: false` (the bench, which exports for minutes): spans are decoded
 * and counted, not kept. */
export async function startOtlpReceiver(options: { keep?: boolean } = {}): Promise<OtlpReceiver> {
  const keep = options.keep ?? true;
  const received: ReceivedSpan[] = [];
  const types: string[] = [];
  let count = 0;
  const ingest = (body: OtlpTraces) => {
    for (const rs of body.resourceSpans ?? []) {
      const service = attributes(rs.resource?.attributes)['service.name'];
      for (const ss of rs.scopeSpans ?? []) {
        count += ss.spans?.length ?? 0;
        if (!keep) continue;
        for (const s of ss.spans ?? []) {
          received.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || null,
            name: s.name,
            kind: s.kind,
            service: typeof service === 'string' ? service : null,
            attributes: attributes(s.attributes),
            status: s.status?.code ?? 0,
          });
        }
      }
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type'] ?? '');
      const json = type.startsWith('application/json');
      types.push(type);
      if (req.url === '/v1/traces') {
        const body = Buffer.concat(chunks);
        if (json) ingest(JSON.parse(body.toString('utf8')) as OtlpTraces);
        else if (type.startsWith('application/x-protobuf')) ingest(decodeTraceRequest(body) as OtlpTraces);
      }
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;

  const grpc = new GrpcServer();
  const exportHandler: UntypedServiceImplementation = {
    Export: (call: { request: Buffer }, callback: (error: null, response: object) => void) => {
      types.push('application/grpc');
      ingest(decodeTraceRequest(call.request) as OtlpTraces);
      callback(null, {});
    },
  };
  grpc.addService(TRACE_SERVICE, exportHandler);
  const grpcPort = await new Promise<number>((done, fail) =>
    grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? fail(error) : done(bound))),
  );

  return {
    url: `http://127.0.0.1:${port}`,
    grpcUrl: `http://127.0.0.1:${grpcPort}`,
    spans: () => [...received],
    count: () => count,
    contentTypes: () => [...types],
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(`spans not received in time; got: ${received.map((s) => `${s.name} ${s.spanId}<-${s.parentSpanId}`).join(', ')}`);
        }
        await sleep(100);
      }
      return [...received];
    },
    close: async () => {
      grpc.forceShutdown();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/** The span and its ancestors among `spans`, nearest first. */
export function ancestry(spans: ReceivedSpan[], spanId: string): ReceivedSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: ReceivedSpan[] = [];
  for (let s = byId.get(spanId); s && chain.length < 100; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s);
  return chain;
}

/** trace id and parent span id of a W3C traceparent. */
export function parseTraceparent(header: unknown): { traceId: string; parentId: string } {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(String(header));
  if (!match) throw new Error(`not a traceparent: ${String(header)}`);
  return { traceId: match[1], parentId: match[2] };
}
