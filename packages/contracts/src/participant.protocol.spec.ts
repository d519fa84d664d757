import { HEADERS, isReservedHeader, participantCallHeaders, type ParticipantCall } from './participant.protocol';

const call: ParticipantCall = { transactionId: 't-1', step: 'reserve', phase: 'action', attempt: 2, input: {} };
const trace = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1' };

describe(participantCallHeaders.name, () => {
  const protocol = participantCallHeaders(call, trace);

  it('writes the protocol headers of the call', () => {
    expect(protocol).toEqual({
      'content-type': 'application/json',
      [HEADERS.idempotencyKey]: 't-1:reserve:action',
      [HEADERS.transaction]: 't-1',
      [HEADERS.step]: 'reserve',
      [HEADERS.phase]: 'action',
      [HEADERS.attempt]: '2',
      [HEADERS.traceparent]: trace.traceparent,
      [HEADERS.tracestate]: 'vendor=1',
    });
  });

  it("keeps the protocol's values, once each, whatever the case of an endpoint header that names one (a definition stored before they were refused)", () => {
    const stored = {
      'Idempotency-Key': 'forged',
      'idempotency-key': 'forged too',
      'X-Accord-Attempt': '99',
      'X-ACCORD-SIGNATURE': 't=1,v1=00',
      'x-accord-other': 'x',
      Traceparent: '00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01',
      TRACESTATE: 'evil=1',
      'Content-Type': 'text/plain',
      'Content-Length': '1',
      Host: 'elsewhere',
      'Transfer-Encoding': 'chunked',
      Connection: 'upgrade',
      Upgrade: 'websocket',
      TE: 'trailers',
      Expect: '100-continue',
      'x-tenant': 'acme',
      Authorization: 'Bearer t',
    };
    expect(participantCallHeaders(call, trace, stored)).toEqual({ ...protocol, 'x-tenant': 'acme', Authorization: 'Bearer t' });
  });
});

describe(isReservedHeader.name, () => {
  it('is case-insensitive and covers every protocol header and the x-accord- prefix', () => {
    for (const name of Object.values(HEADERS)) {
      expect(isReservedHeader(name)).toBe(true);
      expect(isReservedHeader(name.toUpperCase())).toBe(true);
    }
    expect(isReservedHeader('X-Accord-Future')).toBe(true);
    expect(isReservedHeader('x-accordion')).toBe(false);
    expect(isReservedHeader('authorization')).toBe(false);
  });
});
