/** Every route of the API in one table: what it takes, what it answers on
 * success and which error statuses it can answer. The controllers are
 * routed from it, the OpenAPI document is generated from it, and the client
 * infers its request and response types from it. */
import { z } from 'zod';
import { DefinitionSchema } from './definition.schema';
import {
  AbortBodySchema, ApiKeyBodySchema, ApiKeyParamsSchema, AuditQuerySchema, BulkRetryBodySchema, CountsQuerySchema, ListQuerySchema, NameParamsSchema,
  ResolveBodySchema, RetryBodySchema, SkipBodySchema, StartBodySchema, StartHeadersSchema, TransactionParamsSchema, VersionParamsSchema,
  VersionsQuerySchema, WaitQuerySchema,
} from './api-requests';
import {
  ApiKeyViewSchema, AttemptViewSchema, AuditEntrySchema, BulkRetryResultSchema, CreatedApiKeyViewSchema, DefinitionViewSchema, itemsSchema,
  TransactionCountsSchema, TransactionPageSchema, TransactionViewSchema,
} from './api-views';
import type { ErrorStatus } from './error-codes';
import type { Scope } from './scopes';

export interface SuccessResponse {
  description: string;
  /** The JSON body; absent for an empty one (204) or a body that is not JSON. */
  schema?: z.ZodType;
  /** The media type of a body that is not JSON. */
  mediaType?: string;
}

export interface ApiRoute {
  method: 'get' | 'post' | 'delete';
  /** As OpenAPI writes it: `{id}` for a path parameter. */
  path: `/${string}`;
  tag: 'definitions' | 'transactions' | 'admin' | 'operations';
  summary: string;
  /** The scope a credential needs; null: public (no credential). */
  scope: Scope | null;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** Whether a body must be sent (default: yes when there is a body schema). */
  bodyRequired?: boolean;
  success: Partial<Record<200 | 201 | 202 | 204, SuccessResponse>>;
  /** Every error status the route can answer, each with the error envelope. */
  errors: readonly ErrorStatus[];
}

/** Any `/v1` call: a credential missing or wrong, without the scope, over the
 * rate limit, or its database unreachable. */
const CALL = [401, 403, 429, 503] as const;
/** A path parameter (a malformed %-escape is a 400) that may name nothing. */
const NAMED = [400, 404] as const;
/** A JSON body: invalid, too large, or of another media type. */
const BODY = [400, 413, 415] as const;

const transaction = { description: 'The transaction with its steps', schema: TransactionViewSchema };

export const API_ROUTES = {
  registerDefinition: {
    method: 'post',
    path: '/v1/definitions',
    tag: 'definitions',
    summary: 'Register a definition; the server assigns the next version (200 with the latest if the body is identical to it)',
    scope: 'definitions:write',
    body: DefinitionSchema,
    success: {
      201: { description: 'Registered as a new version', schema: DefinitionViewSchema },
      200: { description: 'Identical to the latest version, which is returned', schema: DefinitionViewSchema },
    },
    errors: [...BODY, ...CALL],
  },
  listDefinitions: {
    method: 'get',
    path: '/v1/definitions',
    tag: 'definitions',
    summary: 'The latest version of every definition',
    scope: 'transactions:read',
    success: { 200: { description: 'The latest versions', schema: itemsSchema(DefinitionViewSchema) } },
    errors: CALL,
  },
  getDefinition: {
    method: 'get',
    path: '/v1/definitions/{name}',
    tag: 'definitions',
    summary: 'The latest version of a definition',
    scope: 'transactions:read',
    params: NameParamsSchema,
    success: { 200: { description: 'The latest version', schema: DefinitionViewSchema } },
    errors: [...NAMED, ...CALL],
  },
  listDefinitionVersions: {
    method: 'get',
    path: '/v1/definitions/{name}/versions',
    tag: 'definitions',
    summary: 'Every version of a definition, newest first (?before=<version> pages on)',
    scope: 'transactions:read',
    params: NameParamsSchema,
    query: VersionsQuerySchema,
    success: { 200: { description: 'Its versions', schema: itemsSchema(DefinitionViewSchema) } },
    errors: [...NAMED, ...CALL],
  },
  getDefinitionVersion: {
    method: 'get',
    path: '/v1/definitions/{name}/versions/{version}',
    tag: 'definitions',
    summary: 'One version of a definition',
    scope: 'transactions:read',
    params: VersionParamsSchema,
    success: { 200: { description: 'That version', schema: DefinitionViewSchema } },
    errors: [...NAMED, ...CALL],
  },
  startTransaction: {
    method: 'post',
    path: '/v1/transactions',
    tag: 'transactions',
    summary: 'Start a transaction (idempotent with a key); ?waitMs= answers once it settles (terminal or STUCK) or that many ms passed',
    scope: 'transactions:write',
    query: WaitQuerySchema,
    headers: StartHeadersSchema,
    body: StartBodySchema,
    success: {
      201: { description: 'Started', schema: TransactionViewSchema },
      200: { description: 'The same idempotency key with the same request: the transaction it started', schema: TransactionViewSchema },
    },
    // 404: no such definition (version); 409: the key was used for another request.
    errors: [...BODY, 404, 409, ...CALL],
  },
  listTransactions: {
    method: 'get',
    path: '/v1/transactions',
    tag: 'transactions',
    summary: 'Page through transactions, newest first, by status, definition, creation time, id prefix or idempotency key',
    scope: 'transactions:read',
    query: ListQuerySchema,
    success: { 200: { description: 'One page', schema: TransactionPageSchema } },
    errors: [400, ...CALL],
  },
  countTransactions: {
    method: 'get',
    path: '/v1/transactions/counts',
    tag: 'transactions',
    summary: 'How many transactions have each status (the same filters as the list, but status)',
    scope: 'transactions:read',
    query: CountsQuerySchema,
    success: { 200: { description: 'Counts by status', schema: TransactionCountsSchema } },
    errors: [400, ...CALL],
  },
  getTransaction: {
    method: 'get',
    path: '/v1/transactions/{id}',
    tag: 'transactions',
    summary: 'The transaction with its steps; ?waitMs= answers once it settles (terminal or STUCK) or that many ms passed',
    scope: 'transactions:read',
    params: TransactionParamsSchema,
    query: WaitQuerySchema,
    success: { 200: transaction },
    errors: [...NAMED, ...CALL],
  },
  listAttempts: {
    method: 'get',
    path: '/v1/transactions/{id}/attempts',
    tag: 'transactions',
    summary: 'The attempt/compensation log, oldest first',
    scope: 'transactions:read',
    params: TransactionParamsSchema,
    success: { 200: { description: 'Every participant call made', schema: itemsSchema(AttemptViewSchema) } },
    errors: [...NAMED, ...CALL],
  },
  abortTransaction: {
    method: 'post',
    path: '/v1/transactions/{id}/abort',
    tag: 'transactions',
    summary: 'Roll back a transaction that has not passed its commit point (409 if it has); the note goes into the audit log',
    scope: 'transactions:write',
    params: TransactionParamsSchema,
    body: AbortBodySchema,
    bodyRequired: false,
    success: { 202: transaction },
    errors: [...BODY, 404, 409, ...CALL],
  },
  retryTransactions: {
    method: 'post',
    path: '/v1/admin/transactions/retry',
    tag: 'admin',
    summary: 'Retry STUCK transactions in bulk, oldest first (dryRun: count them, change nothing)',
    scope: 'admin',
    body: BulkRetryBodySchema,
    success: { 202: { description: 'How many matched, and the ids retried', schema: BulkRetryResultSchema } },
    errors: [...BODY, ...CALL],
  },
  retryTransaction: {
    method: 'post',
    path: '/v1/admin/transactions/{id}/retry',
    tag: 'admin',
    summary: 'Resume a STUCK transaction from where it stopped, with a fresh retry budget (and, with `input`, a new input)',
    scope: 'admin',
    params: TransactionParamsSchema,
    body: RetryBodySchema,
    success: { 202: transaction },
    errors: [...BODY, 404, 409, ...CALL],
  },
  skipStep: {
    method: 'post',
    path: '/v1/admin/transactions/{id}/skip',
    tag: 'admin',
    summary: 'Close the STUCK call of one step by hand: as succeeded with `output` going forward, as undone rolling back',
    scope: 'admin',
    params: TransactionParamsSchema,
    body: SkipBodySchema,
    success: { 202: transaction },
    errors: [...BODY, 404, 409, ...CALL],
  },
  resolveTransaction: {
    method: 'post',
    path: '/v1/admin/transactions/{id}/resolve',
    tag: 'admin',
    summary: 'Close a STUCK transaction as RESOLVED by hand',
    scope: 'admin',
    params: TransactionParamsSchema,
    body: ResolveBodySchema,
    success: { 202: transaction },
    errors: [...BODY, 404, 409, ...CALL],
  },
  listAudit: {
    method: 'get',
    path: '/v1/admin/audit',
    tag: 'admin',
    summary: 'Every operator action, newest first (?transactionId= for one transaction)',
    scope: 'admin',
    query: AuditQuerySchema,
    success: { 200: { description: 'Operator actions', schema: itemsSchema(AuditEntrySchema) } },
    errors: [400, ...CALL],
  },
  createApiKey: {
    method: 'post',
    path: '/v1/admin/api-keys',
    tag: 'admin',
    summary: 'Create an API key with scopes; the key is shown in this answer only',
    scope: 'admin',
    body: ApiKeyBodySchema,
    success: { 201: { description: 'The key, with its secret', schema: CreatedApiKeyViewSchema } },
    // 409: an active key already has that name.
    errors: [...BODY, 409, ...CALL],
  },
  listApiKeys: {
    method: 'get',
    path: '/v1/admin/api-keys',
    tag: 'admin',
    summary: 'The API keys in use (no key material)',
    scope: 'admin',
    success: { 200: { description: 'The active keys', schema: itemsSchema(ApiKeyViewSchema) } },
    errors: CALL,
  },
  revokeApiKey: {
    method: 'delete',
    path: '/v1/admin/api-keys/{id}',
    tag: 'admin',
    summary: 'Revoke an API key: within a second it gets 401 on every replica',
    scope: 'admin',
    params: ApiKeyParamsSchema,
    success: { 204: { description: 'Revoked' } },
    // A DELETE's body is read too: invalid JSON or another media type is refused.
    errors: [...BODY, 404, ...CALL],
  },
  live: {
    method: 'get',
    path: '/health/live',
    tag: 'operations',
    summary: 'The process answers',
    scope: null,
    success: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }).strict() } },
    errors: [],
  },
  ready: {
    method: 'get',
    path: '/health/ready',
    tag: 'operations',
    summary: 'Postgres is reachable; the state of Redis in the details',
    scope: null,
    success: { 200: { description: 'Ready', schema: z.object({ status: z.literal('ok') }).loose() } },
    errors: [503],
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    summary: 'Prometheus metrics (names start with accord_)',
    scope: null,
    success: { 200: { description: 'Prometheus text format', mediaType: 'text/plain' } },
    errors: [],
  },
} as const satisfies Record<string, ApiRoute>;

export type RouteName = keyof typeof API_ROUTES;
type Routes = typeof API_ROUTES;

/** What a route's body takes, as a caller writes it (defaults optional). */
export type RequestBodyOf<R extends RouteName> = Routes[R] extends { body: infer B extends z.ZodType } ? z.input<B> : never;
/** What a route's query string takes. */
export type QueryOf<R extends RouteName> = Routes[R] extends { query: infer Q extends z.ZodType } ? z.input<Q> : never;
/** A route's success body for `status`. */
export type ResponseOf<R extends RouteName, S extends keyof Routes[R]['success']> = Routes[R]['success'][S] extends { schema: infer T extends z.ZodType }
  ? z.infer<T>
  : undefined;

/** The route's path with its parameters filled in (each URI-encoded). */
export function routePath(route: ApiRoute, params: Record<string, string | number> = {}): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${route.path}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}
