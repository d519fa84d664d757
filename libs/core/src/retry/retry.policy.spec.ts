import { backoffDelay, budgetLeft, DEFAULT_RETRY, MAX_RETRY_AFTER_MS, resolveRetry, type RetryPolicy } from './retry.policy';
import fc from 'fast-check';

const fixed: RetryPolicy = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: false };

describe(backoffDelay.name, () => {
  it('grows exponentially from initialDelayMs by the multiplier', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(fixed, n, 0))).toEqual([100, 200, 400, 800]);
    expect([1, 2, 3].map((n) => backoffDelay({ ...fixed, multiplier: 3, maxDelayMs: 10_000 }, n, 0))).toEqual([100, 300, 900]);
  });

  it('caps the delay at maxDelayMs', () => {
    expect(backoffDelay(fixed, 5, 0)).toBe(1_000);
    expect(backoffDelay(fixed, 60, 0)).toBe(1_000);
  });

  it('keeps a constant delay with multiplier 1', () => {
    expect([1, 5, 9].map((n) => backoffDelay({ ...fixed, multiplier: 1 }, n, 0.5))).toEqual([100, 100, 100]);
  });

  it('draws a jittered delay from [d/2, d]', () => {
    const jittered = { ...fixed, jitter: true };
    expect(backoffDelay(jittered, 3, 0)).toBe(200);
    expect(backoffDelay(jittered, 3, 0.5)).toBe(300);
    expect(backoffDelay(jittered, 3, 0.999999)).toBe(400);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const d = backoffDelay(fixed, attempt, random);
        const delay = backoffDelay(jittered, attempt, random);
        return delay >= Math.floor(d / 2) && delay <= d;
      }),
    );
  });

  it('honours a Retry-After longer than the backoff', () => {
    expect(backoffDelay(fixed, 1, 0, 5_000)).toBe(5_000);
  });

  it('keeps the backoff when Retry-After is shorter', () => {
    expect(backoffDelay(fixed, 3, 0, 10)).toBe(400);
  });

  it('caps Retry-After at MAX_RETRY_AFTER_MS', () => {
    expect(backoffDelay(fixed, 1, 0, 10 * MAX_RETRY_AFTER_MS)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('never waits less than the backoff because of a capped Retry-After', () => {
    const slow: RetryPolicy = { ...fixed, initialDelayMs: 2 * MAX_RETRY_AFTER_MS, maxDelayMs: 2 * MAX_RETRY_AFTER_MS };
    expect(backoffDelay(slow, 1, 0, 3 * MAX_RETRY_AFTER_MS)).toBe(2 * MAX_RETRY_AFTER_MS);
  });

  it('always returns a whole, non-negative number of milliseconds within the bounds', () => {
    fc.assert(
      fc.property(
        fc.record({
          maxAttempts: fc.integer({ min: 1, max: 10 }),
          initialDelayMs: fc.integer({ min: 0, max: 10_000 }),
          maxDelayMs: fc.integer({ min: 0, max: 100_000 }),
          multiplier: fc.double({ min: 1, max: 100, noNaN: true }),
          jitter: fc.boolean(),
        }),
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.option(fc.integer({ min: 0, max: 10 * MAX_RETRY_AFTER_MS }), { nil: undefined }),
        (raw, attempt, random, retryAfter) => {
          const policy = resolveRetry(raw);
          const delay = backoffDelay(policy, attempt, random, retryAfter);
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(Math.max(policy.maxDelayMs, MAX_RETRY_AFTER_MS));
          if (retryAfter !== undefined) expect(delay).toBeGreaterThanOrEqual(Math.min(retryAfter, MAX_RETRY_AFTER_MS));
        },
      ),
    );
  });
});

describe(resolveRetry.name, () => {
  it('returns the defaults without policies', () => {
    expect(resolveRetry()).toEqual(DEFAULT_RETRY);
  });

  it('lets the step win over the definition field by field', () => {
    expect(resolveRetry({ maxAttempts: 3, initialDelayMs: 10, jitter: false }, { maxAttempts: 9 })).toEqual({
      ...DEFAULT_RETRY,
      maxAttempts: 9,
      initialDelayMs: 10,
      jitter: false,
    });
  });

  it('ignores explicitly undefined fields', () => {
    expect(resolveRetry({ maxAttempts: 3 }, { maxAttempts: undefined })).toEqual({ ...DEFAULT_RETRY, maxAttempts: 3 });
  });

  it('raises maxDelayMs to initialDelayMs when a merged policy would invert them', () => {
    expect(resolveRetry({ maxDelayMs: 1_000 }, { initialDelayMs: 5_000 })).toMatchObject({ initialDelayMs: 5_000, maxDelayMs: 5_000 });
  });
});

describe(budgetLeft.name, () => {
  it('allows exactly maxAttempts calls', () => {
    const policy = { ...fixed, maxAttempts: 3 };
    expect([0, 1, 2, 3, 4].map((used) => budgetLeft(policy, used))).toEqual([true, true, true, false, false]);
  });
});
