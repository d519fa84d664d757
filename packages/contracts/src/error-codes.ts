import { z } from 'zod';

/** Stable error codes of the public API. Each maps to one HTTP status, so a
 * new code without a status fails to compile. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  IDEMPOTENCY_KEY_CONFLICT: 400,
  /** A step endpoint the safe-target policy refuses (contract: Safe targets). */
  FORBIDDEN_TARGET: 400,
  /** A step endpoint names a message transport whose setting (NATS_URL, RABBITMQ_URL) is missing. */
  TRANSPORT_NOT_CONFIGURED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  DEFINITION_NOT_FOUND: 404,
  TRANSACTION_NOT_FOUND: 404,
  API_KEY_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  /** The request's headers or body did not arrive within the server's timeouts. */
  REQUEST_TIMEOUT: 408,
  IDEMPOTENCY_KEY_REUSED: 409,
  INVALID_STATE: 409,
  /** An active API key already has that name (the audit log names actors by it). */
  API_KEY_NAME_TAKEN: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_TYPE: 422,
  HEADERS_TOO_LARGE: 431,
  /** More `/v1` requests in a minute than RATE_LIMIT_PER_MINUTE allows this credential. */
  RATE_LIMITED: 429,
  /** A start that would take the unsettled transactions past MAX_IN_FLIGHT. */
  OVERLOADED: 429,
  /** Postgres cannot be reached now (sent with Retry-After). */
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The error statuses the API documents (a 500 is a bug, never documented). */
export const ERROR_STATUSES = [400, 401, 403, 404, 409, 413, 415, 422, 429, 503] as const;
export type ErrorStatus = (typeof ERROR_STATUSES)[number];

/** The codes an answer with this status may carry. */
export function errorCodesOf(status: ErrorStatus): ErrorCode[] {
  return (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);
}

export const ErrorDetailSchema = z.object({ path: z.string().optional(), message: z.string() }).strict();

/** The contract's error envelope (contract: Errors), with the codes of one status. */
function errorBodySchema(status: ErrorStatus) {
  const [first, ...rest] = errorCodesOf(status);
  return z
    .object({
      error: z.object({ code: z.enum([first, ...rest]), message: z.string(), details: z.array(ErrorDetailSchema) }).strict(),
    })
    .strict()
    .meta({ id: `Error${status}` });
}

/** The error envelope of each documented status. */
export const ERROR_BODY_SCHEMAS = Object.fromEntries(ERROR_STATUSES.map((status) => [status, errorBodySchema(status)])) as Record<
  ErrorStatus,
  ReturnType<typeof errorBodySchema>
>;

export type ErrorDetail = z.infer<typeof ErrorDetailSchema>;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetail[] };
}

export function errorBody(code: ErrorCode, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: { code, message, details } };
}
