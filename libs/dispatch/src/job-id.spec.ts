import { decodeCarriedClaim, decodeStepJob, encodeStepJob, stepJobId } from './job-id';

describe(decodeStepJob.name, () => {
  const call = { transactionId: 'b6a5c1f2-0000-4000-8000-000000000001', step: 'charge', phase: 'compensation' as const, attempt: 3 };

  it('reads back exactly the call a job was encoded from', () => {
    expect(decodeStepJob(JSON.parse(JSON.stringify(encodeStepJob(call))))).toEqual(call);
  });

  it.each([
    ['not an object', 'x'],
    ['null', null],
    ['an unknown phase', { t: call.transactionId, s: 'charge', p: 'refund', a: 1 }],
    ['a missing step', { t: call.transactionId, p: 'action', a: 1 }],
    ['attempt 0', { t: call.transactionId, s: 'charge', p: 'action', a: 0 }],
    ['a fractional attempt', { t: call.transactionId, s: 'charge', p: 'action', a: 1.5 }],
    ['an attempt as text', { t: call.transactionId, s: 'charge', p: 'action', a: '1' }],
  ])('refuses %s', (_what, data) => {
    expect(decodeStepJob(data)).toBeNull();
  });

  it('builds job ids without the ":" BullMQ forbids', () => {
    expect(stepJobId(call)).toBe(`${call.transactionId}.charge.compensation.3`);
  });
});

describe(decodeCarriedClaim.name, () => {
  const call = { transactionId: 'b6a5c1f2-0000-4000-8000-000000000001', step: 'charge', phase: 'action' as const, attempt: 1 };
  const roundTrip = (claim: Parameters<typeof encodeStepJob>[2], firstDelivery: boolean) =>
    decodeCarriedClaim(JSON.parse(JSON.stringify(encodeStepJob(call, null, claim))) as ReturnType<typeof encodeStepJob>, firstDelivery);

  it('reads back the claim a job carries, usable as it is only on its first delivery', () => {
    expect(roundTrip({ claim: 4, useBy: 1234 }, true)).toEqual({ claim: 4, useBy: 1234 });
    expect(roundTrip({ claim: 4, useBy: 1234 }, false)).toEqual({ claim: 4 });
    expect(roundTrip({ claim: 4 }, true)).toEqual({ claim: 4 });
  });

  it('reads no claim from a job without one, or with a claim it did not write', () => {
    expect(roundTrip(null, true)).toBeNull();
    expect(decodeCarriedClaim({ ...encodeStepJob(call), k: '4' as unknown as number }, true)).toBeNull();
    expect(decodeCarriedClaim({ ...encodeStepJob(call), k: 4, u: 'soon' as unknown as number }, true)).toEqual({ claim: 4 });
  });
});
