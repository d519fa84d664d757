/** `@accord/participant/express`: participant endpoints as Express middleware.
 * Needs nothing from express at run time: the middleware is plain node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createParticipantHandler, type ParticipantHandler, type ParticipantHandlerOptions } from '../participant-handler';

export type ExpressMiddleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** Serves the participant routes of `handler` (or of the options, through
 * createParticipantHandler); calls `next()` for requests that are not
 * participant calls, `next(error)` if reading failed. Mount it before
 * `express.json()`, which would consume the raw body the signature covers. */
export function expressParticipantMiddleware<Session extends object>(
  handler: ParticipantHandler | ParticipantHandlerOptions<Session>,
): ExpressMiddleware {
  const handle = typeof handler === 'function' ? handler : createParticipantHandler(handler);
  return (req, res, next) => {
    handle(req, res).then((handled) => {
      if (!handled) next();
    }, next);
  };
}
