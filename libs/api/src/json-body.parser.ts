import type { FastifyInstance } from 'fastify';
import { EngineError } from '@accord/engine';

/** Deeper documents are refused: the coordinator hashes, validates and stores
 * bodies with recursive code, and Postgres' jsonb has a stack limit too. */
export const MAX_JSON_DEPTH = 128;

/** JSON only: a malformed body is a 400 INVALID_JSON, any other media type
 * a 415, instead of fastify's plain-text acceptance. A body that is valid
 * JSON but cannot be stored (too deep, a NUL character or a lone surrogate
 * in a string, which Postgres' jsonb rejects) is a 400 VALIDATION_FAILED. */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(/^application\/([\w.+-]+\+)?json(;.*)?$/i, { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return done(new EngineError('INVALID_JSON', `request body is not valid JSON: ${(error as Error).message}`), undefined);
    }
    const problem = unstorable(value);
    if (problem) return done(new EngineError('VALIDATION_FAILED', 'request body cannot be accepted', [problem]), undefined);
    done(null, value);
  });
}

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const unstorableText = (text: string): boolean => text.includes('\u0000') || UNPAIRED_SURROGATE.test(text);

/** The first part of a parsed JSON document that could not be stored, if
 * any. Iterative, so a deep document cannot overflow the stack here. */
export function unstorable(root: unknown): { path: string; message: string } | null {
  const todo: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '', depth: 0 }];
  while (todo.length > 0) {
    const { value, path, depth } = todo.pop()!;
    if (typeof value === 'string') {
      if (unstorableText(value)) return { path, message: 'strings must not contain U+0000 or unpaired surrogates' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    if (Array.isArray(value)) {
      value.forEach((item, i) => todo.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const child = path === '' ? key : `${path}.${key}`;
      if (unstorableText(key)) return { path: child, message: 'keys must not contain U+0000 or unpaired surrogates' };
      todo.push({ value: item, path: child, depth: depth + 1 });
    }
  }
  return null;
}
