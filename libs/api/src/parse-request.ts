import type { z } from 'zod';
import { UUID_PATTERN } from '@accord/contracts';
import { EngineError } from '@accord/engine';

/** Parses or throws a 400 with one detail per problem. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new EngineError(
    'VALIDATION_FAILED',
    `invalid ${where}`,
    result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
  );
}

export function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    // Only what encodeCursor writes (an ISO instant): other strings Date.parse
    // accepts ("1", "May 5", year 275760) are not timestamps Postgres takes.
    if (typeof createdAt === 'string' && isIsoInstant(createdAt) && typeof id === 'string' && UUID_PATTERN.test(id)) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the 400 below
  }
  throw new EngineError('VALIDATION_FAILED', 'invalid cursor', [{ path: 'cursor', message: 'not a cursor from this API' }]);
}

/** `YYYY-MM-DDTHH:mm:ss.ssssssZ` (microseconds, as Postgres keeps them) from
 * year 1 to 9999, a real date (round trip of its millisecond part). */
function isIsoInstant(text: string): boolean {
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$/.test(text) || text.startsWith('0000')) return false;
  const millis = `${text.slice(0, 23)}Z`;
  const time = Date.parse(millis);
  return !Number.isNaN(time) && new Date(time).toISOString() === millis;
}
