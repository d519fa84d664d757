import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import cookie from '@fastify/cookie';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '@accord/contracts';
import { bearerToken, type Authenticator } from '../auth/authenticator';
import { sendFailure } from '../errors/unavailable';
import type { Principal } from '../auth/scopes';
import { QUEUE_SESSION_TTL_MS, QueueSessions } from './queue-session';
import { QUEUE_VIEW_CSP, securityHeaders } from './security-headers';

export const QUEUE_VIEW_PATH = '/admin/queues';
const SESSION_PATH = `${QUEUE_VIEW_PATH}/session`;
const SESSION_COOKIE = 'accord_queues';

export interface QueueViewSettings {
  queue: Queue;
  authenticator: Authenticator;
  /** Seals the sessions; unset when authentication is off. */
  adminToken?: string;
}

/**
 * bull-board at `/admin/queues`, read-only, for the `admin` scope: a
 * bearer header, or the session cookie that `POST /admin/queues/session`
 * (with the bearer header) sets, which is what the console does before it
 * navigates here. Read-only because Postgres, not the queue, decides what
 * runs: a job retried or promoted by hand would only be fenced off again;
 * operators act through the API.
 */
export async function installQueueView(fastify: FastifyInstance, settings: QueueViewSettings): Promise<void> {
  const sessions = settings.adminToken ? new QueueSessions(settings.adminToken) : null;
  const { authenticator } = settings;

  await fastify.register(async (scope) => {
    await scope.register(cookie);
    await securityHeaders(scope, QUEUE_VIEW_CSP);

    scope.addHook('onRequest', async (request, reply) => {
      if (request.url.split('?')[0] === SESSION_PATH) return;
      return admit(authenticator, bearerToken(request.headers.authorization) ?? openSession(sessions, request), reply);
    });

    scope.post(SESSION_PATH, async (request, reply) => {
      const token = bearerToken(request.headers.authorization);
      const refused = await admit(authenticator, token, reply);
      if (refused) return refused;
      if (sessions && token) {
        void reply.setCookie(SESSION_COOKIE, sessions.seal(token), {
          path: QUEUE_VIEW_PATH,
          httpOnly: true,
          sameSite: 'strict',
          secure: request.protocol === 'https',
          maxAge: QUEUE_SESSION_TTL_MS / 1000,
        });
      }
      return reply.code(204).send();
    });

    scope.delete(SESSION_PATH, (_request, reply) => reply.clearCookie(SESSION_COOKIE, { path: QUEUE_VIEW_PATH }).code(204).send());

    const board = new FastifyAdapter();
    board.setBasePath(QUEUE_VIEW_PATH);
    createBullBoard({
      queues: [new BullMQAdapter(settings.queue, { readOnlyMode: true })],
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'Accord queues' } },
    });
    await scope.register(board.registerPlugin(), { prefix: QUEUE_VIEW_PATH });
  });
}

function openSession(sessions: QueueSessions | null, request: FastifyRequest): string | null {
  const sealed = request.cookies[SESSION_COOKIE];
  return sessions && sealed ? sessions.open(sealed) : null;
}

/** Lets a caller with the `admin` scope through (undefined); answers
 * anyone else. With authentication off every caller has every scope, as on
 * the API. */
async function admit(authenticator: Authenticator, token: string | null, reply: FastifyReply): Promise<FastifyReply | undefined> {
  let principal: Principal | null;
  try {
    principal = await authenticator.authenticate(token === null ? undefined : `Bearer ${token}`);
  } catch (error) {
    return sendFailure(reply, error, 'cannot check the credential now; retry later');
  }
  if (!principal) {
    return reply
      .code(401)
      .send(errorBody('UNAUTHORIZED', 'the queue view needs an admin credential: open it from the console, or send Authorization: Bearer <token>'));
  }
  if (!principal.scopes.includes('admin')) return reply.code(403).send(errorBody('FORBIDDEN', 'the queue view needs the "admin" scope'));
  return undefined;
}
