import type { FastifyReply } from 'fastify';
import { errorBody, type ErrorBody } from '@accord/contracts';
import { isDatabaseUnavailable } from '@accord/persistence';

/** What a caller is told to wait when Postgres cannot be reached; the pool's
 * connect timeout (DATABASE_CONNECT_TIMEOUT_MS) bounds how long finding out took. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  /** Sent as `Retry-After` when set. */
  retryAfterSeconds?: number;
}

/** 503 UNAVAILABLE with Retry-After for a database that cannot be reached
 * (decided by error class and driver code); null for any other error. */
export function unavailableResponse(error: unknown, message = 'the database cannot be reached; retry later'): ErrorResponse | null {
  if (!isDatabaseUnavailable(error)) return null;
  return { status: 503, body: errorBody('UNAVAILABLE', message), retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS };
}

/** The answer of a fastify hook (outside Nest's filter) that could not do
 * its work: 503 UNAVAILABLE when the database is unreachable, else 500. */
export function sendFailure(reply: FastifyReply, error: unknown, unavailableMessage: string): FastifyReply {
  const response = unavailableResponse(error, unavailableMessage) ?? { status: 500, body: errorBody('INTERNAL', 'internal error') };
  if (response.retryAfterSeconds !== undefined) void reply.header('retry-after', String(response.retryAfterSeconds));
  return reply.code(response.status).send(response.body);
}
