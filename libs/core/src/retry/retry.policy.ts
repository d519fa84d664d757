import type { RetryPolicyInput } from '@accord/contracts';

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
  jitter: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: true,
};

/** Longest `Retry-After` honoured: a participant cannot park a step for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/** Step policy wins field by field over the definition's, which wins over the defaults. */
export function resolveRetry(definition?: RetryPolicyInput, step?: RetryPolicyInput): RetryPolicy {
  const merged = { ...DEFAULT_RETRY, ...strip(definition), ...strip(step) };
  return { ...merged, maxDelayMs: Math.max(merged.maxDelayMs, merged.initialDelayMs) };
}

function strip(policy?: RetryPolicyInput): Partial<RetryPolicy> {
  if (!policy) return {};
  return Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined));
}

/**
 * Delay before attempt `failedAttempt + 1`. Capped exponential backoff; with
 * jitter the delay is drawn from [d/2, d] so replicas retrying the same
 * participant spread out. `random` is injected to keep this pure.
 */
export function backoffDelay(policy: RetryPolicy, failedAttempt: number, random: number, retryAfterMs?: number): number {
  const exponent = Math.max(0, failedAttempt - 1);
  // 0 * Infinity (a zero initial delay after hundreds of attempts) would be NaN.
  const raw = policy.initialDelayMs === 0 ? 0 : policy.initialDelayMs * Math.pow(policy.multiplier, exponent);
  const capped = Math.min(policy.maxDelayMs, raw);
  const delay = policy.jitter ? capped / 2 + (capped / 2) * random : capped;
  // Retry-After can lengthen the wait (up to MAX_RETRY_AFTER_MS), never shorten the backoff.
  if (retryAfterMs !== undefined) return Math.round(Math.max(delay, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)));
  return Math.round(delay);
}

export function budgetLeft(policy: RetryPolicy, attemptsUsed: number): boolean {
  return attemptsUsed < policy.maxAttempts;
}
