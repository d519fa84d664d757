/** What came back from one participant call, before interpretation. */
export type CallResult =
  | { kind: 'response'; status: number; body?: unknown; retryAfterMs?: number }
  | { kind: 'timeout' }
  /** A message participant's error reply without a numeric `status` (what
   * Nest answers for any error but an RpcException with one). */
  | { kind: 'error-reply'; body: unknown }
  /** `unsent`: the call provably never reached the participant (connection
   * refused, no such host): nothing can have applied. */
  | { kind: 'network'; code: string; unsent: boolean }
  /** Not sent: the target (or an address its name resolved to) is refused
   * by the safe-target policy. */
  | { kind: 'forbidden'; reason: string };

/** The contract's response table, as the state machines consume it. */
export type Outcome =
  | { type: 'ok'; output: unknown }
  /** 409/422: the participant says it did not apply. */
  | { type: 'refused'; status: number }
  /** 408, 425, 429, 5xx, timeout, connection error, an error reply without
   * a status: unknown, may have
   * applied — unless `unsent`: the call never reached the participant. */
  | { type: 'retry'; retryAfterMs?: number; unsent?: true }
  /** Any other 4xx: a request the participant will never accept; or a call
   * that could not be sent to a forbidden target (status null). */
  | { type: 'misconfigured'; status: number | null };

const RETRYABLE_4XX = new Set([408, 425, 429]);

export function classify(result: CallResult): Outcome {
  switch (result.kind) {
    case 'timeout':
    case 'error-reply':
      return { type: 'retry' };
    case 'network':
      return result.unsent ? { type: 'retry', unsent: true } : { type: 'retry' };
    case 'forbidden':
      return { type: 'misconfigured', status: null };
    case 'response': {
      const { status } = result;
      if (status >= 200 && status < 300) return { type: 'ok', output: result.body ?? null };
      if (status === 409 || status === 422) return { type: 'refused', status };
      if (RETRYABLE_4XX.has(status) || status >= 500) return { type: 'retry', retryAfterMs: result.retryAfterMs };
      return { type: 'misconfigured', status };
    }
  }
}

export function describeOutcome(outcome: Outcome): string | null {
  switch (outcome.type) {
    case 'ok':
      return null;
    case 'refused':
      return `refused by participant (HTTP ${outcome.status})`;
    case 'retry':
      if (outcome.unsent) return 'not delivered (connection refused or no such host)';
      return 'no definite answer (timeout, connection error, 408/425/429, 5xx or an error reply without a status)';
    case 'misconfigured':
      return outcome.status === null ? 'not sent: forbidden target' : `rejected as misconfigured (HTTP ${outcome.status})`;
  }
}
