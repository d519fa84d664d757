import type { ErrorCode, ErrorDetail } from '@accord/contracts';

/** A non-2xx answer of the coordinator. `code` is the contract's error code
 * (`DEFINITION_NOT_FOUND`, `IDEMPOTENCY_KEY_REUSED`…), or `HTTP_<status>`
 * when the body was not the contract's (e.g. from a proxy). */
export class AccordApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | `HTTP_${number}`;
  readonly details: ErrorDetail[];

  constructor(status: number, code: ErrorCode | `HTTP_${number}`, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'AccordApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Builds the error from a response body, in the contract's shape or not. */
  static from(status: number, body: unknown): AccordApiError {
    const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
    if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
      const message = 'message' in error && typeof error.message === 'string' ? error.message : `HTTP ${status}`;
      const details = 'details' in error && Array.isArray(error.details) ? (error.details as ErrorDetail[]) : [];
      return new AccordApiError(status, error.code as ErrorCode, message, details);
    }
    const text = typeof body === 'string' && body !== '' ? `: ${body.slice(0, 200)}` : '';
    return new AccordApiError(status, `HTTP_${status}`, `HTTP ${status}${text}`);
  }
}
