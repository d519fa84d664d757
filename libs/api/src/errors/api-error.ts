import { ERROR_STATUS, type ErrorBody, type ErrorCode, type ErrorDetail } from '@accord/contracts';

export function errorBody(code: ErrorCode, message: string, details: ErrorDetail[] = []): ErrorBody {
  return { error: { code, message, details } };
}

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** Fastify's own errors (body parsing, limits) mapped to the contract's codes. */
export function fastifyErrorCode(code: string | undefined, statusCode: number | undefined): ErrorCode | null {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'INVALID_JSON';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'PAYLOAD_TOO_LARGE';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return 'UNSUPPORTED_MEDIA_TYPE';
    default:
      if (statusCode === 400) return 'INVALID_JSON';
      if (statusCode === 413) return 'PAYLOAD_TOO_LARGE';
      if (statusCode === 415) return 'UNSUPPORTED_MEDIA_TYPE';
      return null;
  }
}

/** fastify's router errors (a malformed %-escape in the URL, an overlong
 * path parameter) happen before Nest sees the request: the app answers them
 * with this, in the contract's shape too (the adapter's `frameworkErrors`). */
export function frameworkErrorResponse(error: { message: string }): { status: number; body: ErrorBody } {
  return { status: 400, body: errorBody('VALIDATION_FAILED', error.message) };
}
