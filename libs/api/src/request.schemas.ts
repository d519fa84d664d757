import { z } from 'zod';
import { NAME_PATTERN, TRANSACTION_STATUSES } from '@accord/contracts';
import { SCOPES } from './auth/scopes';
import { EngineError } from '@accord/engine';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const IDEMPOTENCY_KEY = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export const StartBodySchema = z
  .object({
    definition: z.string().regex(NAME_PATTERN, 'must be a definition name').optional(),
    version: z.number().int().min(1).max(2_147_483_647).optional(),
    spec: z.record(z.string(), z.unknown()).optional(),
    input: z.unknown().optional(),
    idempotencyKey: IDEMPOTENCY_KEY.optional(),
  })
  .strict()
  .refine((b) => (b.definition === undefined) !== (b.spec === undefined), {
    message: 'give exactly one of "definition" or "spec"',
    path: ['definition'],
  })
  .refine((b) => b.version === undefined || b.definition !== undefined, {
    message: '"version" goes with "definition"',
    path: ['version'],
  });


/** An instant with its offset, in a year Postgres can store (from 1). */
const INSTANT = z.iso.datetime({ offset: true }).refine((value) => !value.startsWith('0000'), 'year must be 1 or later');

/** The filters the list and the counts share. */
const TRANSACTION_FILTER = {
  definition: z.string().regex(NAME_PATTERN, 'must be a definition name').optional(),
  /** Created at or after. */
  from: INSTANT.optional(),
  /** Created before. */
  to: INSTANT.optional(),
  /** A whole id or its first hex digits (dashes ignored). */
  id: z
    .string()
    .regex(/^[0-9a-fA-F-]{1,36}$/, 'must be a transaction id or its first hex digits')
    .transform((value) => value.replace(/-/g, '').toLowerCase())
    .refine((hex) => hex.length >= 1 && hex.length <= 32, 'must hold 1 to 32 hex digits')
    .optional(),
  idempotencyKey: IDEMPOTENCY_KEY.optional(),
};

const rangeInOrder = (q: { from?: string; to?: string }) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to);
const RANGE_IN_ORDER = { message: '"to" must be later than "from"', path: ['to'] };

export const ListQuerySchema = z
  .object({
    ...TRANSACTION_FILTER,
    status: z.enum(TRANSACTION_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(512).optional(),
  })
  .strict()
  .refine(rangeInOrder, RANGE_IN_ORDER);

export const CountsQuerySchema = z.object(TRANSACTION_FILTER).strict().refine(rangeInOrder, RANGE_IN_ORDER);

export const VersionsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
  })
  .strict();

export const WaitQuerySchema = z.object({ waitMs: z.coerce.number().int().min(0).max(3_600_000).optional() }).strict();

export const ResolveBodySchema = z.object({ note: z.string().min(1).max(4096) }).strict();

/** An abort may say why; the audit log keeps it. */
export const AbortBodySchema = z.object({ note: z.string().min(1).max(4096).optional() }).strict();

/** `input`, when present (even null), replaces the transaction's input. */
export const RetryBodySchema = z.object({ note: z.string().max(4096).optional(), input: z.unknown().optional() }).strict();

export const SkipBodySchema = z
  .object({
    step: z.string().regex(NAME_PATTERN, 'must be a step name'),
    output: z.unknown().optional(),
    note: z.string().min(1).max(4096),
  })
  .strict();

export const BulkRetryBodySchema = z
  .object({
    status: z.literal('STUCK'),
    definition: z.string().regex(NAME_PATTERN).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    note: z.string().max(4096).optional(),
    dryRun: z.boolean().default(false),
  })
  .strict();

export const AuditQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    before: z.string().regex(/^[0-9]{1,18}$/).optional(),
    transactionId: z.string().regex(UUID_PATTERN, 'must be a transaction id').optional(),
  })
  .strict();

/** The names the bootstrap credential and auth-off mode go by in the audit log. */
const RESERVED_KEY_NAMES = ['admin-token', 'anonymous'];

export const ApiKeyBodySchema = z
  .object({
    name: z
      .string()
      .regex(NAME_PATTERN, 'must match ^[a-z0-9][a-z0-9._-]{0,127}$')
      .refine((name) => !RESERVED_KEY_NAMES.includes(name), 'is reserved'),
    scopes: z
      .array(z.enum(SCOPES))
      .min(1)
      .max(16)
      .transform((scopes) => [...new Set(scopes)]),
  })
  .strict();

export const UUID = UUID_PATTERN;

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
    if (typeof createdAt === 'string' && isIsoInstant(createdAt) && typeof id === 'string' && UUID.test(id)) {
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
