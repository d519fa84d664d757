import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorBody, type ConsoleSettings } from '@accord/contracts';
import { CONSOLE_CSP, securityHeaders } from './security-headers';

export const CONSOLE_PATH = '/console';

/**
 * The web console (apps/console, built into `root`): its files at
 * `/console/…`, what the page needs to know before it calls the API at
 * `/console/settings.json`, and the page itself for every other path below,
 * since it routes by path. Open to anyone: the page holds no data, and each
 * API call it makes carries the operator's key. False when there is no build.
 */
export async function installConsole(fastify: FastifyInstance, root: string, settings: ConsoleSettings): Promise<boolean> {
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) return false;
  const page = readFileSync(indexFile);
  const assets = join(root, 'assets');
  await fastify.register(async (scope) => {
    await securityHeaders(scope, CONSOLE_CSP);
    await scope.register(fastifyStatic, {
      root,
      prefix: `${CONSOLE_PATH}/`,
      // One route per built file, and the page's own route below for the rest.
      wildcard: false,
      index: false,
      decorateReply: false,
      setHeaders: (reply, path) => {
        // Built assets carry a content hash in their names; the page does not.
        void reply.header('cache-control', path.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    scope.get(CONSOLE_PATH, (_request, reply) => reply.redirect(`${CONSOLE_PATH}/`));
    scope.get(`${CONSOLE_PATH}/settings.json`, (_request, reply) => reply.header('cache-control', 'no-cache').send(settings));
    scope.get(`${CONSOLE_PATH}/*`, (request, reply) => {
      if (request.url.startsWith(`${CONSOLE_PATH}/assets/`)) {
        return reply.code(404).send(errorBody('NOT_FOUND', `no console asset ${request.url}`));
      }
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page);
    });
  });
  return true;
}
