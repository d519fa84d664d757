/** The API's request bodies, query strings and path parameters as schemas:
 * the API validates with them, the OpenAPI document is generated from them
 * and the client's request types are inferred from them. */
import { z } from 'zod';
import { NAME_PATTERN } from './definition.schema';
import { SCOPES } from './scopes';
import { TRANSACTION_STATUSES } from './statuses';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const definitionName = z.string().regex(NAME_PATTERN, 'must be a definition name');
const note = z.string().min(1).max(4096);

export const IdempotencyKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .meta({ description: 'Deduplicates starts: the same key with the same request returns the same transaction' });

export const StartBodySchema = z
  .object({
    definition: definitionName.optional(),
    /** Default: the latest. */
    version: z.number().int().min(1).max(2_147_483_647).optional(),
    /** A definition body without `name`, for a one-off transaction (validated like a registration). */
    spec: z.record(z.string(), z.unknown()).optional(),
    input: z.unknown().optional(),
    idempotencyKey: IdempotencyKeySchema.optional(),
  })
  .strict()
  .refine((b) => (b.definition === undefined) !== (b.spec === undefined), {
    message: 'give exactly one of "definition" or "spec"',
    path: ['definition'],
  })
  .refine((b) => b.version === undefined || b.definition !== undefined, {
    message: '"version" goes with "definition"',
    path: ['version'],
  })
  .meta({ id: 'StartRequest', description: 'Exactly one of `definition` (with an optional `version`) or `spec`' });

/**
 * A start message (`accord.transactions.start`): the start request's body
 * plus, optionally, `headers`, lower case as in a participant call's data.
 * Of those, `traceparent` and `tracestate` are read: the transaction joins
 * the caller's trace, as an HTTP start with these headers does (an invalid
 * `traceparent` is ignored, as over HTTP). Other headers are not read.
 */
export const StartMessageSchema = z.looseObject({
  headers: z.looseObject({ traceparent: z.string().optional(), tracestate: z.string().optional() }).optional(),
});

/** An instant with its offset, in a year Postgres can store (from 1), with
 * an offset Postgres takes (up to ±15:59; an ISO offset may reach ±23:59). */
const INSTANT = z.iso
  .datetime({ offset: true })
  .refine((value) => !value.startsWith('0000'), 'year must be 1 or later')
  .refine((value) => !/[+-](1[6-9]|2[0-9]):?[0-9]{2}$/.test(value), 'offset must be within ±15:59');

/** The filters the list and the counts share. */
const TRANSACTION_FILTER = {
  definition: definitionName.optional(),
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
  idempotencyKey: IdempotencyKeySchema.optional(),
};

const rangeInOrder = (q: { from?: string; to?: string }) => q.from === undefined || q.to === undefined || Date.parse(q.from) < Date.parse(q.to);
const RANGE_IN_ORDER = { message: '"to" must be later than "from"', path: ['to'] };

export const ListQuerySchema = z
  .object({
    ...TRANSACTION_FILTER,
    status: z.enum(TRANSACTION_STATUSES).optional(),
    limit: z.coerce.number<number>().int().min(1).max(500).default(50),
    cursor: z.string().max(512).optional(),
  })
  .strict()
  .refine(rangeInOrder, RANGE_IN_ORDER);

export const CountsQuerySchema = z.object(TRANSACTION_FILTER).strict().refine(rangeInOrder, RANGE_IN_ORDER);

export const VersionsQuerySchema = z
  .object({
    limit: z.coerce.number<number>().int().min(1).max(500).default(100),
    before: z.coerce.number<number>().int().min(1).max(2_147_483_647).optional(),
  })
  .strict();

export const WaitQuerySchema = z
  .object({
    /** Answer once the transaction is terminal or STUCK, or this many ms passed. */
    waitMs: z.coerce.number<number>().int().min(0).max(3_600_000).optional(),
  })
  .strict();

export const ResolveBodySchema = z.object({ note }).strict().meta({ id: 'ResolveRequest' });

/** An abort may say why; the audit log keeps it. */
export const AbortBodySchema = z.object({ note: note.optional() }).strict().meta({ id: 'AbortRequest' });

/** `input`, when present (even null), replaces the transaction's input. */
export const RetryBodySchema = z
  .object({ note: z.string().max(4096).optional(), input: z.unknown().optional() })
  .strict()
  .meta({ id: 'RetryRequest' });

export const SkipBodySchema = z
  .object({
    step: z.string().regex(NAME_PATTERN, 'must be a step name'),
    /** Going forward: the step's output, which later templates see. */
    output: z.unknown().optional(),
    note,
  })
  .strict()
  .meta({ id: 'SkipRequest' });

export const BulkRetryBodySchema = z
  .object({
    status: z.literal('STUCK'),
    definition: z.string().regex(NAME_PATTERN).optional(),
    limit: z.number().int().min(1).max(1000).default(100),
    note: z.string().max(4096).optional(),
    /** Count what would be retried, and change nothing. */
    dryRun: z.boolean().default(false),
  })
  .strict()
  .meta({ id: 'BulkRetryRequest' });

export const AuditQuerySchema = z
  .object({
    limit: z.coerce.number<number>().int().min(1).max(500).default(100),
    /** An entry id: the entries older than it. */
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
  .strict()
  .meta({ id: 'ApiKeyRequest' });

/** Path parameters. The API answers 404 for any value that names nothing
 * (an id that is not a UUID included), so they are documented as text. */
export const NameParamsSchema = z.object({ name: z.string().meta({ description: 'A definition name' }) });
export const VersionParamsSchema = NameParamsSchema.extend({ version: z.string().meta({ description: 'A version number, from 1' }) });
export const TransactionParamsSchema = z.object({ id: z.string().meta({ description: 'A transaction id (UUID)' }) });
export const ApiKeyParamsSchema = z.object({ id: z.string().meta({ description: 'An API key id (UUID)' }) });

/** The headers a start reads. */
export const StartHeadersSchema = z.object({
  'idempotency-key': IdempotencyKeySchema.optional().meta({ description: 'Instead of the body field; the two must not differ' }),
  traceparent: z.string().optional().meta({ description: "W3C trace context: the transaction joins the caller's trace" }),
});

export type StartBody = z.input<typeof StartBodySchema>;
export type ListQuery = z.input<typeof ListQuerySchema>;
export type CountsQuery = z.input<typeof CountsQuerySchema>;
export type VersionsQuery = z.input<typeof VersionsQuerySchema>;
export type ResolveBody = z.input<typeof ResolveBodySchema>;
export type AbortBody = z.input<typeof AbortBodySchema>;
export type RetryBody = z.input<typeof RetryBodySchema>;
export type SkipBody = z.input<typeof SkipBodySchema>;
export type BulkRetryBody = z.input<typeof BulkRetryBodySchema>;
export type AuditQuery = z.input<typeof AuditQuerySchema>;
export type ApiKeyBody = z.input<typeof ApiKeyBodySchema>;
