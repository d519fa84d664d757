import { errorBody, HEADERS, idempotencyKeyFor, type ErrorBody, type ParticipantCall } from '@accord/contracts';
import type { FastifyPluginAsync } from 'fastify';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { PoolClient } from 'pg';
import type { Barrier } from './barrier';
import type { BarrierResult } from './barrier-result';
import { participantCallSchema } from './participant-call.schema';
import { verifySignature } from './signature-verifier';

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

/** How one call is checked and run, whatever the HTTP framework. */
export interface ParticipantCallOptions {
  barrier: Barrier;
  /** The coordinator's `SIGNING_SECRET`. When set, every call must carry a
   * valid `X-Accord-Signature` over its raw body, or it is answered 401
   * before it is parsed. Default: unset, calls are not checked. */
  signingSecret?: string;
  /** How far a signature's timestamp may be from this host's clock. An
   * older replay is refused; a replay inside the window is a duplicate the
   * barrier absorbs. Default 300 s. */
  signatureToleranceSeconds?: number;
  /** Seam for custom request authentication, after the signature check: runs
   * on the raw body before it is parsed; `false` answers 401. Default: accept. */
  authenticate?: (rawBody: string, headers: IncomingHttpHeaders) => boolean | Promise<boolean>;
}

export interface ParticipantHandlerOptions extends ParticipantCallOptions {
  /** Request path (without query string) → business change. */
  handlers: Record<string, ParticipantRoute>;
  /** Bodies above this are answered 413. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** The HTTP answer to one call. */
export interface ParticipantAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** What the business function threw when it answered 503, for logs. */
  error?: unknown;
}

/** Answers a POST to one of `handlers` and resolves true; resolves false
 * without touching the request otherwise, so other routing can follow. Must
 * see the raw body stream (mount it before any body parser). */
export type ParticipantHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export type ParsedCall = { ok: true; call: ParticipantCall } | { ok: false; status: number; body: ErrorBody };

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * A node:http handler for participant endpoints: checks the signature,
 * validates the call, runs its route inside the barrier and answers.
 *
 * ```ts
 * const handler = createParticipantHandler({ barrier, signingSecret, handlers: { '/reserve': reserve } });
 * // node:http
 * createServer((req, res) => void handler(req, res).then((handled) => handled || notFound(res)));
 * // Express: before express.json(), which would consume the body stream
 * app.use(expressParticipantMiddleware(handler));
 * // Fastify: participantFastifyPlugin keeps the raw body itself
 * await fastify.register(participantFastifyPlugin({ barrier, signingSecret, handlers }));
 * ```
 */
export function createParticipantHandler(options: ParticipantHandlerOptions): ParticipantHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res) => {
    const route = req.method === 'POST' ? options.handlers[pathOf(req)] : undefined;
    if (!route) return false;

    const raw = await readRequestBody(req, maxBodyBytes);
    const answer =
      raw === undefined
        ? { status: 413, body: errorBody('PAYLOAD_TOO_LARGE', `body exceeds ${maxBodyBytes} bytes`), headers: {} }
        : await answerParticipantCall(options, route, raw, req.headers);
    sendJson(res, answer.status, answer.body, answer.headers);
    return true;
  };
}

/** Express-style middleware around a ParticipantHandler: calls `next()` for
 * requests that are not participant calls, `next(error)` if reading failed. */
export function expressParticipantMiddleware(
  handler: ParticipantHandler,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    handler(req, res).then((handled) => {
      if (!handled) next();
    }, next);
  };
}

/** A Fastify plugin serving `handlers` as POST routes. Register it without
 * fastify-plugin: its JSON parser keeps the raw body text (for the
 * signature) and stays inside the plugin's own context. */
export function participantFastifyPlugin(options: ParticipantHandlerOptions): FastifyPluginAsync {
  return async (fastify) => {
    fastify.removeAllContentTypeParsers();
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES },
      (_req, body, done) => done(null, body),
    );
    for (const [path, route] of Object.entries(options.handlers)) {
      fastify.post(path, async (request, reply) => {
        const raw = typeof request.body === 'string' ? request.body : '';
        const answer = await answerParticipantCall(options, route, raw, request.headers);
        return reply
          .code(answer.status)
          .headers(answer.headers)
          .type('application/json')
          .send(JSON.stringify(answer.body) ?? 'null');
      });
    }
  };
}

/**
 * The framework-independent core: authenticates the raw body (signature,
 * then `authenticate`), validates it as a ParticipantCall and runs `route`
 * inside the barrier. Never throws; every outcome is an answer.
 */
export async function answerParticipantCall(
  options: ParticipantCallOptions,
  route: ParticipantRoute,
  rawBody: string,
  headers: IncomingHttpHeaders,
): Promise<ParticipantAnswer> {
  if (options.signingSecret !== undefined) {
    const check = verifySignature({
      secret: options.signingSecret,
      header: headers[HEADERS.signature],
      rawBody,
      toleranceSeconds: options.signatureToleranceSeconds,
    });
    if (!check.ok) return unauthorized(`${HEADERS.signature} rejected: signature ${check.reason}`);
  }
  if (options.authenticate && !(await options.authenticate(rawBody, headers))) {
    return unauthorized('request authentication failed');
  }
  const parsed = parseParticipantCall(rawBody, headers);
  if (!parsed.ok) return { status: parsed.status, body: parsed.body, headers: {} };
  const { call } = parsed;
  try {
    const result = await options.barrier.run(call, ({ client, forwardResult }) =>
      route(call.input, { client, call, forwardResult }),
    );
    return barrierAnswer(result);
  } catch (error) {
    // The barrier's own database work failed: nothing is known to be recorded.
    const message = error instanceof Error ? error.message : String(error);
    return { status: 503, body: errorBody('SERVICE_UNAVAILABLE', message), headers: {}, error };
  }
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

/** The status, body and headers a barrier result is answered with. */
export function barrierAnswer(result: BarrierResult): ParticipantAnswer {
  const headers: Record<string, string> = { [BARRIER_RESULT_HEADER]: result.kind };
  if (result.kind !== 'failed') return { status: result.status, body: result.body, headers };
  if (result.retryAfterSeconds !== undefined) headers['retry-after'] = String(result.retryAfterSeconds);
  return { status: result.status, body: result.body, headers, error: result.error };
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

function unauthorized(message: string): ParticipantAnswer {
  return { status: 401, body: errorBody('UNAUTHORIZED', message), headers: {} };
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
