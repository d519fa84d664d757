import type { ErrorCode, ErrorDetail } from '@accord/contracts';

/** A refusal the caller can act on; the API maps `code` to its HTTP status. */
export class EngineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
    /** When the caller may try again (sent as `Retry-After`); unset: not a matter of time. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
