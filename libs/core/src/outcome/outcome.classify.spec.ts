import { classify, describeOutcome } from './outcome.classify';

describe(classify.name, () => {
  it.each([200, 201, 202, 204, 299])('treats %i as done, with the body as output', (status) => {
    expect(classify({ kind: 'response', status, body: { id: 1 } })).toEqual({ type: 'ok', output: { id: 1 } });
  });

  it('gives a 2xx without a body a null output', () => {
    expect(classify({ kind: 'response', status: 204 })).toEqual({ type: 'ok', output: null });
  });

  it.each([409, 422])('treats %i as a business refusal', (status) => {
    expect(classify({ kind: 'response', status, body: { error: 'no stock' } })).toEqual({ type: 'refused', status });
  });

  it.each([408, 425, 429, 500, 502, 503, 504, 599])('retries %i and passes Retry-After on', (status) => {
    expect(classify({ kind: 'response', status, retryAfterMs: 1500 })).toEqual({ type: 'retry', retryAfterMs: 1500 });
    expect(classify({ kind: 'response', status })).toMatchObject({ type: 'retry' });
  });

  it.each([400, 401, 403, 404, 405, 410, 411, 413, 415, 418, 421, 426, 428, 431, 451, 499])('treats %i as misconfigured', (status) => {
    expect(classify({ kind: 'response', status })).toEqual({ type: 'misconfigured', status });
  });

  it('classifies every 4xx according to the contract table', () => {
    for (let status = 400; status < 500; status++) {
      const expected = status === 409 || status === 422 ? 'refused' : [408, 425, 429].includes(status) ? 'retry' : 'misconfigured';
      expect([status, classify({ kind: 'response', status }).type]).toEqual([status, expected]);
    }
    for (let status = 500; status < 600; status++) expect(classify({ kind: 'response', status }).type).toBe('retry');
  });

  it('retries timeouts and connection errors', () => {
    expect(classify({ kind: 'timeout' })).toEqual({ type: 'retry' });
    expect(classify({ kind: 'network', code: 'ECONNRESET', unsent: false })).toEqual({ type: 'retry' });
    expect(classify({ kind: 'network', code: 'ECONNREFUSED', unsent: true })).toEqual({ type: 'retry', unsent: true });
  });

  it('treats a call not sent to a forbidden target as misconfigured, without a status', () => {
    const outcome = classify({ kind: 'forbidden', reason: '169.254.169.254 is a link-local address' });
    expect(outcome).toEqual({ type: 'misconfigured', status: null });
    expect(describeOutcome(outcome)).toBe('not sent: forbidden target');
  });
});

describe(describeOutcome.name, () => {
  it('describes failures and not successes', () => {
    expect(describeOutcome({ type: 'ok', output: null })).toBeNull();
    expect(describeOutcome({ type: 'refused', status: 409 })).toMatch(/409/);
    expect(describeOutcome({ type: 'misconfigured', status: 404 })).toMatch(/404/);
    expect(describeOutcome({ type: 'retry' })).toEqual(expect.any(String));
  });
});
