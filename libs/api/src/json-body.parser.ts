import type { FastifyInstance } from 'fastify';
import { EngineError } from '@accord/engine';

/** JSON only: a malformed body is a 400 INVALID_JSON, any other media type
 * a 415, instead of fastify's plain-text acceptance. */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(/^application\/([\w.+-]+\+)?json(;.*)?$/i, { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new EngineError('INVALID_JSON', `request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });
}
