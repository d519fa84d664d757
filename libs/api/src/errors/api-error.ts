import { ERROR_STATUS, errorBody, type ErrorBody, type ErrorCode } from '@accord/contracts';

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** fastify's router errors (a malformed %-escape in the URL, an overlong
 * path parameter) happen before Nest sees the request: the app answers them
 * with this, in the contract's shape too (the adapter's `frameworkErrors`). */
export function frameworkErrorResponse(error: { message: string }): { status: number; body: ErrorBody } {
  return { status: 400, body: errorBody('VALIDATION_FAILED', error.message) };
}
