import { HEADERS, signBody } from '@accord/contracts';
import type { Barrier } from './barrier';
import { answerParticipantCall, type ParticipantCallOptions } from './participant-call.answer';

const SECRET = 'unit-secret';
const BODY = JSON.stringify({ transactionId: 't-1', step: 'pay', phase: 'action', attempt: 1, input: { amount: 5 } });

function signed(body: string, atSeconds = Math.floor(Date.now() / 1000)) {
  return { [HEADERS.signature]: signBody(SECRET, body, atSeconds * 1000) };
}

/** A barrier that runs the route without a database, and counts its calls. */
function fakeBarrier() {
  const run = jest.fn(async (_key: unknown, fn: (ctx: { client: never; forwardResult: unknown }) => Promise<unknown>) => {
    const body = await fn({ client: undefined as never, forwardResult: undefined });
    return { kind: 'applied' as const, status: 200 as const, body };
  });
  return { barrier: { run } as unknown as Barrier, run };
}

describe(answerParticipantCall.name, () => {
  const route = (input: unknown) => Promise.resolve({ echoed: input });

  it('runs a correctly signed call through the barrier', async () => {
    const { barrier, run } = fakeBarrier();
    const answer = await answerParticipantCall({ barrier, signingSecret: SECRET }, route, BODY, signed(BODY));
    expect(answer).toEqual({ status: 200, body: { echoed: { amount: 5 } }, headers: { 'x-accord-barrier': 'applied' } });
    expect(run).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['missing', {}],
    ['malformed', { [HEADERS.signature]: 'v1=zz' }],
    ['expired', signed(BODY, Math.floor(Date.now() / 1000) - 301)],
    ['mismatch', signed(BODY.replace('5', '6'))],
  ])('answers 401 "signature %s" before parsing or touching the barrier', async (reason, headers) => {
    const { barrier, run } = fakeBarrier();
    const answer = await answerParticipantCall({ barrier, signingSecret: SECRET }, route, BODY, headers);
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: { code: 'UNAUTHORIZED', message: `${HEADERS.signature} rejected: signature ${reason}`, details: [] } });
    expect(run).not.toHaveBeenCalled();
  });

  it('honours signatureToleranceSeconds', async () => {
    const { barrier } = fakeBarrier();
    const options: ParticipantCallOptions = { barrier, signingSecret: SECRET, signatureToleranceSeconds: 10 };
    const old = signed(BODY, Math.floor(Date.now() / 1000) - 20);
    expect((await answerParticipantCall(options, route, BODY, old)).status).toBe(401);
  });

  it('checks the signature before the custom authenticate seam, and both must pass', async () => {
    const { barrier, run } = fakeBarrier();
    const authenticate = jest.fn(() => false);
    expect((await answerParticipantCall({ barrier, signingSecret: SECRET, authenticate }, route, BODY, {})).status).toBe(401);
    expect(authenticate).not.toHaveBeenCalled();
    const answer = await answerParticipantCall({ barrier, signingSecret: SECRET, authenticate }, route, BODY, signed(BODY));
    expect(answer.body).toMatchObject({ error: { message: 'request authentication failed' } });
    expect(run).not.toHaveBeenCalled();
  });

  it('accepts unsigned calls when no secret is configured, and still validates them', async () => {
    const { barrier } = fakeBarrier();
    expect((await answerParticipantCall({ barrier }, route, BODY, {})).status).toBe(200);
    expect(await answerParticipantCall({ barrier }, route, '{"phase":"later"}', {})).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED' } },
    });
  });

  it('answers 503 when the barrier itself fails', async () => {
    const failing = { run: jest.fn().mockRejectedValue(new Error('connection refused')) } as unknown as Barrier;
    expect(await answerParticipantCall({ barrier: failing }, route, BODY, {})).toMatchObject({
      status: 503,
      body: { error: { code: 'UNAVAILABLE', message: 'connection refused' } },
    });
  });
});
