import type { IncomingMessage, ServerResponse } from 'node:http';
import { expressParticipantMiddleware } from '.';

describe(expressParticipantMiddleware.name, () => {
  const req = {} as IncomingMessage;
  const res = {} as ServerResponse;

  it('passes requests the handler does not serve to next()', async () => {
    const next = jest.fn();
    expressParticipantMiddleware(() => Promise.resolve(false))(req, res, next);
    await new Promise(setImmediate);
    expect(next).toHaveBeenCalledWith();
  });

  it('does not call next() once the handler answered, and passes a failure to next(error)', async () => {
    const next = jest.fn();
    expressParticipantMiddleware(() => Promise.resolve(true))(req, res, next);
    const failure = new Error('socket closed');
    expressParticipantMiddleware(async () => Promise.reject(failure))(req, res, next);
    await new Promise(setImmediate);
    expect(next.mock.calls).toEqual([[failure]]);
  });
});
