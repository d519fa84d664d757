/**
 * An OTLP/HTTP trace receiver inside the test process: the coordinator under
 * test exports to it (OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url) and the test
 * reads the spans back. OTLP/JSON bodies are decoded (ids are hex there);
 * protobuf bodies are only counted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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
  /** Base URL, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  spans(): ReceivedSpan[];
  /** Content types of the export requests received, in order. */
  contentTypes(): string[];
  /** Waits until `predicate` holds for the spans received (or throws, naming what came). */
  waitFor(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };

function value(v: AnyValue): string | number | boolean {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  return v.doubleValue ?? '';
}

function attributes(list: { key: string; value: AnyValue }[] | undefined): Record<string, string | number | boolean> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const types: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const type = String(req.headers['content-type'] ?? '');
      types.push(type);
      if (req.url === '/v1/traces' && type.startsWith('application/json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const service = attributes(rs.resource?.attributes)['service.name'];
          for (const ss of rs.scopeSpans ?? []) {
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
      }
      res.writeHead(200, { 'content-type': type.startsWith('application/json') ? 'application/json' : 'application/x-protobuf' });
      res.end(type.startsWith('application/json') ? '{}' : '');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...received],
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
    close: () => new Promise<void>((done) => server.close(() => done())),
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
