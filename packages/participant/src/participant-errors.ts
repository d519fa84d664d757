/** Errors a participant's business function throws to tell the barrier what
 * happened. The barrier decides from the class, never from the message. */

export interface BusinessRefusalOptions {
  /** Stable, participant-defined reason, e.g. `INSUFFICIENT_FUNDS`. Default `BUSINESS_REFUSAL`. */
  code?: string;
  /** Anything JSON-serialisable that helps the caller; sent as `error.details`. */
  details?: unknown;
}

/** The business said no: nothing was applied and retrying will not change
 * that. Answered 409; the barrier records it so a duplicate stays refused and
 * can never apply late. */
export class BusinessRefusal extends Error {
  readonly retryable = false;
  readonly code: string;
  readonly details: unknown;

  constructor(message: string, options: BusinessRefusalOptions = {}) {
    super(message);
    this.name = 'BusinessRefusal';
    this.code = options.code ?? 'BUSINESS_REFUSAL';
    this.details = options.details;
  }
}

export interface TransientFailureOptions {
  /** Sent as `Retry-After`, which the coordinator honours. Default: none. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** Could not decide now (a dependency is down, a lock timed out…). Answered
 * 503 and nothing is recorded, so the coordinator's retry runs it again. Any
 * other thrown error is treated the same way. */
export class TransientFailure extends Error {
  readonly retryable = true;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: TransientFailureOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'TransientFailure';
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
