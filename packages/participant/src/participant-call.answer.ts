import {
  errorBody,
  HEADERS,
  idempotencyKeyFor,
  participantCallSchema,
  type ErrorBody,
  type ParticipantCall,
} from '@accord/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import type { Barrier, BarrierContext } from './barrier';
import type { BarrierResult } from './barrier-result';
import type { PgSession } from './pg.barrier-database';
import { verifySignature } from './signature-verifier';

/** Response header naming what the barrier did (BarrierResult kind), for logs
 * and tests; the coordinator only looks at the status. */
export const BARRIER_RESULT_HEADER = 'x-accord-barrier';

/** What a route gets besides the input: the barrier's session (`client` on
 * pg, `manager` on TypeORM) — business writes go through it — the call, and
 * for compensation/cancel/confirm what the action/try returned (`forwardResult`). */
export type ParticipantContext<Session = PgSession> = BarrierContext<Session> & { call: ParticipantCall };

/** One endpoint's business change. Throw BusinessRefusal (409) or
 * TransientFailure (503); the return value is the step's output. */
export type ParticipantRoute<Session = PgSession> = (input: unknown, context: ParticipantContext<Session>) => Promise<unknown>;

/** How one call is checked and run, whatever the HTTP framework. */
export interface ParticipantCallOptions<Session extends object = PgSession> {
  barrier: Barrier<Session>;
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

/** The HTTP answer to one call. */
export interface ParticipantAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** What the business function threw when it answered 503, for logs. */
  error?: unknown;
}

export type ParsedCall = { ok: true; call: ParticipantCall } | { ok: false; status: number; body: ErrorBody };

/**
 * The framework-independent core: authenticates the raw body (signature,
 * then `authenticate`), validates it as a ParticipantCall and runs `route`
 * inside the barrier. Never throws; every outcome is an answer.
 */
export async function answerParticipantCall<Session extends object>(
  options: ParticipantCallOptions<Session>,
  route: ParticipantRoute<Session>,
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
    const result = await options.barrier.run(call, (context) => route(call.input, { ...context, call }));
    return barrierAnswer(result);
  } catch (error) {
    // The barrier's own database work failed: nothing is known to be recorded.
    const message = error instanceof Error ? error.message : String(error);
    return { status: 503, body: errorBody('UNAVAILABLE', message), headers: {}, error };
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

function unauthorized(message: string): ParticipantAnswer {
  return { status: 401, body: errorBody('UNAUTHORIZED', message), headers: {} };
}
