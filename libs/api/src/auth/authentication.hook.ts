import type { FastifyInstance } from 'fastify';
import { errorBody } from '@accord/contracts';
import type { Authenticator } from './authenticator';
import type { Principal } from './scopes';

/** Authenticates every `/v1` request before its body is read or parsed, so an
 * anonymous caller gets 401 whatever it sends. The AuthGuard then checks
 * scopes against the principal this attaches. */
export function installAuthentication(fastify: FastifyInstance, authenticator: Authenticator): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.url.startsWith('/v1')) return done();
    const principal = authenticator.authenticate(request.headers.authorization);
    if (!principal) {
      void reply.code(401).send(errorBody('UNAUTHORIZED', 'missing or invalid bearer token'));
      return;
    }
    (request as unknown as { principal: Principal }).principal = principal;
    done();
  });
}
