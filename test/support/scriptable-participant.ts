/**
 * A participant whose answers a test scripts over HTTP, so end-to-end tests
 * can play any participant behaviour (refusals, 503 storms, slow or hung
 * calls) and then inspect exactly what the coordinator sent.
 *
 *   PORT=0 node dist-test/support/scriptable-participant.js  → "LISTENING <port>"
 *
 * Control routes:
 * - `PUT /_script` `{"<path>": {"responses": [ScriptedResponse…], "default"?: ScriptedResponse}}`
 *   (status, body, headers, delayMs, hang, afterPath)
 *   merges into the current scripts; each call to a path consumes its next
 *   response, then the path's default, then `200 {"path", "input"}`.
 * - `GET /_calls[?path=<path>]` → the recorded calls, in arrival order.
 * - `DELETE /_calls` forgets calls and scripts.
 *
 * Node built-ins only, so it starts fast and shares no code with the SDK or
 * the coordinator under test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface ScriptedResponse {
  /** Default 200. */
  status?: number;
  /** JSON body. Default `{"path", "input"}`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Waits this long before answering. */
  delayMs?: number;
  /** Answers only once a call to this path has arrived (then after delayMs):
   * puts two calls of a test in a known order however slow the machine is. */
  afterPath?: string;
  /** Never answers: the socket stays open until the client gives up. */
  hang?: boolean;
}

export interface PathScript {
  responses?: ScriptedResponse[];
  default?: ScriptedResponse;
}

export type Scripts = Record<string, PathScript>;

export interface RecordedCall {
  path: string;
  /** ms since the epoch. */
  receivedAt: number;
  /** null while unanswered, and forever for a hung call. */
  respondedAt: number | null;
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body (a ParticipantCall, when the coordinator sent it), or the raw text if it was not JSON. */
  body: unknown;
}

const CONTROL = { script: '/_script', calls: '/_calls' } as const;

const scripts = new Map<string, { responses: ScriptedResponse[]; default?: ScriptedResponse }>();
let calls: RecordedCall[] = [];

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    process.stderr.write(`scriptable-participant: ${String(error)}\n`);
    if (!res.headersSent) send(res, 500, { error: String(error) });
  });
});
// Longer than the coordinator's idle timeout, so it is the client that closes idle sockets.
server.keepAliveTimeout = 65_000;

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://participant');
  const raw = await readBody(req);

  if (url.pathname === CONTROL.script && req.method === 'PUT') {
    mergeScripts(JSON.parse(raw) as Scripts);
    return send(res, 204, undefined);
  }
  if (url.pathname === CONTROL.calls && req.method === 'GET') {
    const path = url.searchParams.get('path');
    return send(res, 200, path === null ? calls : calls.filter((c) => c.path === path));
  }
  if (url.pathname === CONTROL.calls && req.method === 'DELETE') {
    calls = [];
    scripts.clear();
    return send(res, 204, undefined);
  }
  if (req.method !== 'POST') return send(res, 405, { error: `${req.method} ${url.pathname} is not scripted` });

  const call: RecordedCall = {
    path: url.pathname,
    receivedAt: Date.now(),
    respondedAt: null,
    status: null,
    headers: { ...req.headers },
    body: parseJson(raw),
  };
  calls.push(call);

  const scripted = nextResponse(call.path);
  if (scripted?.hang) return;
  if (scripted?.afterPath) await arrivalOf(scripted.afterPath);
  if (scripted?.delayMs) await sleep(scripted.delayMs);
  const status = scripted?.status ?? 200;
  const body = scripted && 'body' in scripted ? scripted.body : { path: call.path, input: inputOf(call.body) };
  call.respondedAt = Date.now();
  call.status = status;
  send(res, status, body, scripted?.headers);
}

async function arrivalOf(path: string): Promise<void> {
  while (!calls.some((c) => c.path === path)) await sleep(5);
}

function mergeScripts(update: Scripts): void {
  for (const [path, script] of Object.entries(update)) {
    const current = scripts.get(path) ?? { responses: [] };
    scripts.set(path, {
      responses: [...current.responses, ...(script.responses ?? [])],
      default: script.default ?? current.default,
    });
  }
}

function nextResponse(path: string): ScriptedResponse | undefined {
  const script = scripts.get(path);
  return script?.responses.shift() ?? script?.default;
}

function inputOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null && 'input' in body ? body.input : undefined;
}

function parseJson(raw: string): unknown {
  if (raw === '') return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const payload = body === undefined ? '' : JSON.stringify(body);
  const type: Record<string, string> = payload === '' ? {} : { 'content-type': 'application/json' };
  res.writeHead(status, { ...type, ...headers, 'content-length': String(Buffer.byteLength(payload)) });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function shutdown(): void {
  server.close(() => process.exit(0));
  // Hung calls would otherwise keep close() waiting forever.
  server.closeAllConnections();
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`LISTENING ${port}\n`);
});
