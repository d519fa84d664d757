import {
  HEADERS,
  idempotencyKeyFor,
  type ErrorBody,
  type ErrorCode,
  type ParticipantCall,
} from '@accord/contracts';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { PoolClient } from 'pg';
import type { Barrier } from './barrier';
import type { BarrierResult } from './barrier-result';
import { participantCallSchema } from './participant-call.schema';

/** Response header naming what the barrier did (BarrierResult kind), for logs
 * and tests; the coordinator only looks at the status. */
export const BARRIER_RESULT_HEADER = 'x-accord-barrier';

export interface ParticipantContext {
  /** The open local transaction: business writes go through it. */
  client: PoolClient;
  call: ParticipantCall;
  /** For compensation/cancel/confirm: what the action/try returned. */
  forwardResult: unknown;
}

/** One endpoint's business change. Throw BusinessRefusal (409) or
 * TransientFailure (503); the return value is the step's output. */
export type ParticipantRoute = (input: unknown, context: ParticipantContext) => Promise<unknown>;

export interface ParticipantHandlerOptions {
  barrier: Barrier;
  /** Request path (without query string) → business change. */
  handlers: Record<string, ParticipantRoute>;
  /** Bodies above this are answered 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Seam for request authentication (the coordinator's signature): runs on
   * the raw body before it is parsed; `false` answers 401. Default: accept. */
  authenticate?: (rawBody: string, headers: IncomingHttpHeaders) => boolean | Promise<boolean>;
}

/** Answers a POST to one of `handlers` and resolves true; resolves false
 * without touching the request otherwise, so other routing can follow. Must
 * see the raw body stream (mount it before any body parser). */
export type ParticipantHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export type ParsedCall = { ok: true; call: ParticipantCall } | { ok: false; status: number; body: ErrorBody };

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function createParticipantHandler(options: ParticipantHandlerOptions): ParticipantHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res) => {
    const route = req.method === 'POST' ? options.handlers[pathOf(req)] : undefined;
    if (!route) return false;

    const raw = await readRequestBody(req, maxBodyBytes);
    if (raw === undefined) {
      sendJson(res, 413, errorBody('PAYLOAD_TOO_LARGE', `body exceeds ${maxBodyBytes} bytes`));
      return true;
    }
    if (options.authenticate && !(await options.authenticate(raw, req.headers))) {
      sendJson(res, 401, errorBody('UNAUTHORIZED', 'request authentication failed'));
      return true;
    }
    const parsed = parseParticipantCall(raw, req.headers);
    if (!parsed.ok) {
      sendJson(res, parsed.status, parsed.body);
      return true;
    }
    const { call } = parsed;
    let result: BarrierResult;
    try {
      result = await options.barrier.run(call, ({ client, forwardResult }) =>
        route(call.input, { client, call, forwardResult }),
      );
    } catch (error) {
      // The barrier's own database work failed: nothing is known to be recorded.
      sendJson(res, 503, errorBody('SERVICE_UNAVAILABLE', error instanceof Error ? error.message : String(error)));
      return true;
    }
    sendBarrierResult(res, result);
    return true;
  };
}

/** Validates a raw ParticipantCall body and its Idempotency-Key header. */
export function parseParticipantCall(rawBody: string, headers: IncomingHttpHeaders): ParsedCall {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { ok: false, status: 400, body: errorBody('INVALID_JSON', 'body is not valid JSON') };
  }
  const parsed = participantCallSchema.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
    return { ok: false, status: 400, body: errorBody('VALIDATION_FAILED', 'not a participant call', details) };
  }
  const call = parsed.data;
  const key = headers[HEADERS.idempotencyKey];
  const expected = idempotencyKeyFor(call.transactionId, call.step, call.phase);
  // Absent is tolerated (hand-made calls); a different key means the body and
  // the key would deduplicate differently, which is never safe.
  if (key !== undefined && key !== expected) {
    const message = `${HEADERS.idempotencyKey} must be ${expected}`;
    return { ok: false, status: 400, body: errorBody('IDEMPOTENCY_KEY_CONFLICT', message) };
  }
  return { ok: true, call };
}

export function sendBarrierResult(res: ServerResponse, result: BarrierResult): void {
  const headers: Record<string, string> = { [BARRIER_RESULT_HEADER]: result.kind };
  if (result.kind === 'failed' && result.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(result.retryAfterSeconds);
  }
  sendJson(res, result.status, result.body, headers);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || status === 304) {
    // No body allowed: a content-length would announce bytes that never come.
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(body) ?? 'null';
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function errorBody(code: ErrorCode, message: string, details: ErrorBody['error']['details'] = []): ErrorBody {
  return { error: { code, message, details } };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** The body as text, or undefined once it passes `limit` bytes. */
export async function readRequestBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Keep draining so the connection stays usable for the 413 answer.
    if (size <= limit) chunks.push(buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}
