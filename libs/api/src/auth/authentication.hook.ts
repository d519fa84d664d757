import type { FastifyInstance } from 'fastify';
import { errorBody } from '@accord/contracts';
import { sendFailure } from '../errors/unavailable';
import type { Authenticator } from './authenticator';
import type { Principal } from './scopes';

/** The principal the authentication hook attached to a `/v1` request. */
export function principalOf(request: object): Principal | undefined {
  return (request as { principal?: Principal }).principal;
}

/** Authenticates every `/v1` request before its body is read or parsed, so an
 * anonymous caller gets 401 whatever it sends. The AuthGuard then checks
 * scopes against the principal this attaches. */
export function installAuthentication(fastify: FastifyInstance, authenticator: Authenticator): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1')) return;
    let principal: Principal | null;
    try {
      // Node keeps the first of several Authorization headers, a proxy in
      // front may read another: a request naming two credentials has none.
      const given = request.raw.headersDistinct.authorization ?? [];
      principal = given.length > 1 ? null : await authenticator.authenticate(given[0]);
    } catch (error) {
      // An API key not in the cache while Postgres is down: the credential
      // cannot be checked, which is not the caller's fault.
      return sendFailure(reply, error, 'cannot check the credential now; retry later');
    }
    if (!principal) return reply.code(401).send(errorBody('UNAUTHORIZED', 'missing or invalid bearer token'));
    (request as unknown as { principal: Principal }).principal = principal;
  });
}
