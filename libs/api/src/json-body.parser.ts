import type { FastifyInstance } from 'fastify';
import { EngineError } from '@accord/engine';
import { refusedBodyPart } from './request-body.rules';

/** JSON only: a malformed body is a 400 INVALID_JSON, any other media type
 * a 415, instead of fastify's plain-text acceptance. A body that is valid
 * JSON but refused (refusedBodyPart: too deep, a NUL character or a lone
 * surrogate, which Postgres' jsonb rejects, a prototype key) is a 400
 * VALIDATION_FAILED. */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(/^application\/([\w.+-]+\+)?json(;.*)?$/i, { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return done(new EngineError('INVALID_JSON', `request body is not valid JSON: ${withoutQuote((error as Error).message)}`), undefined);
    }
    const problem = refusedBodyPart(value);
    if (problem) return done(new EngineError('VALIDATION_FAILED', 'request body cannot be accepted', [problem]), undefined);
    done(null, value);
  });
}

/** V8 quotes the text around an unexpected token (`Unexpected token 'b',
 * ..."ization": bearer-sec"... is not valid JSON`): the body may carry
 * secrets, so such a message is cut to what it says. The other messages
 * give a position and quote nothing. */
function withoutQuote(message: string): string {
  return / is not valid JSON$/.test(message) ? 'unexpected token' : message;
}
