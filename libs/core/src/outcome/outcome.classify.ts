/** What came back from one participant call, before interpretation. */
export type CallResult =
  | { kind: 'response'; status: number; body?: unknown; retryAfterMs?: number }
  | { kind: 'timeout' }
  | { kind: 'network'; message: string }
  /** Not sent: the target (or an address its name resolved to) is refused
   * by the safe-target policy. */
  | { kind: 'forbidden'; reason: string };

/** The contract's response table, as the state machines consume it. */
export type Outcome =
  | { type: 'ok'; output: unknown }
  /** 409/422: the participant says it did not apply. */
  | { type: 'refused'; status: number }
  /** 408, 425, 429, 5xx, timeout, connection error: unknown, may have applied. */
  | { type: 'retry'; retryAfterMs?: number }
  /** Any other 4xx: a request the participant will never accept; or a call
   * that could not be sent to a forbidden target (status null). */
  | { type: 'misconfigured'; status: number | null };

const RETRYABLE_4XX = new Set([408, 425, 429]);

export function classify(result: CallResult): Outcome {
  switch (result.kind) {
    case 'timeout':
    case 'network':
      return { type: 'retry' };
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

/** `Retry-After` is delay-seconds or an HTTP date. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function describeOutcome(outcome: Outcome): string | null {
  switch (outcome.type) {
    case 'ok':
      return null;
    case 'refused':
      return `refused by participant (HTTP ${outcome.status})`;
    case 'retry':
      return 'no definite answer (timeout, connection error, 408/425/429 or 5xx)';
    case 'misconfigured':
      return outcome.status === null ? 'not sent: forbidden target' : `rejected as misconfigured (HTTP ${outcome.status})`;
  }
}
