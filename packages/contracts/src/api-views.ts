/** The API's response bodies as schemas: the OpenAPI document is generated
 * from them, the presenters in libs/api return their types and the client
 * reads them, so none of the three can drift from the others. */
import { z } from 'zod';
import { SagaSpecSchema, TccSpecSchema, NAME_PATTERN } from './definition.schema';
import { PHASES } from './participant.protocol';
import { SCOPES } from './scopes';
import { STEP_STATUS, TRANSACTION_STATUSES } from './statuses';

const instant = z.iso.datetime();
const name = z.string().regex(NAME_PATTERN);
const phase = z.enum(PHASES);
const transactionStatus = z.enum(TRANSACTION_STATUSES).meta({ id: 'TransactionStatus' });
const stepStatus = z.enum(STEP_STATUS).meta({ id: 'StepStatus' });

/** How the coordinator read a participant's answer (the contract's response
 * table): done, refused, unknown (retried) or misconfigured. */
export const ATTEMPT_OUTCOMES = ['ok', 'refused', 'retry', 'misconfigured'] as const;

const registered = { name, version: z.number().int().min(1), createdAt: instant };

/** A registered definition: the body (endpoint headers and URL credentials
 * masked) plus what the server assigned. */
export const DefinitionViewSchema = z
  .discriminatedUnion('type', [SagaSpecSchema.extend(registered), TccSpecSchema.extend(registered)])
  .meta({ id: 'DefinitionView' });

export const DefinitionRefSchema = z.object({ name, version: z.number().int().nullable() }).strict();

export const StepViewSchema = z
  .object({
    name,
    /** The steps it waits for, as planned (see `dependenciesOf`). */
    dependsOn: z.array(name),
    status: stepStatus,
    /** Phase of the last scheduled call; null before the first. */
    phase: phase.nullable(),
    attempts: z.number().int().min(0),
    nextAttemptAt: instant.nullable(),
    /** What every phase of the step is sent (rendered when it first ran). */
    input: z.unknown(),
    output: z.unknown(),
    lastError: z.string().nullable(),
  })
  .strict()
  .meta({ id: 'StepView' });

/** Why a transaction rolled back or stopped. */
export const ReasonViewSchema = z
  .object({
    /** The step whose answer caused it; null for the deadline or an abort. */
    step: z.string().nullable(),
    phase: phase.nullable(),
    message: z.string(),
  })
  .strict()
  .meta({ id: 'ReasonView' });

/** `GET /v1/transactions/{id}`, and the answer of every action on one. */
export const TransactionViewSchema = z
  .object({
    id: z.uuid(),
    /** null for an inline `spec`. */
    definition: DefinitionRefSchema.nullable(),
    inline: z.boolean(),
    type: z.enum(['saga', 'tcc']),
    status: transactionStatus,
    input: z.unknown(),
    deadlineAt: instant.nullable(),
    createdAt: instant,
    updatedAt: instant,
    finishedAt: instant.nullable(),
    /** Why it rolled back (saga) or cancelled (TCC); null going forward. */
    rollbackReason: ReasonViewSchema.nullable(),
    /** Why it is STUCK (kept when it was resolved by hand); null otherwise. */
    stuckReason: ReasonViewSchema.nullable(),
    steps: z.array(StepViewSchema),
  })
  .strict()
  .meta({ id: 'TransactionView' });

/** One row of `GET /v1/transactions`. */
export const TransactionSummarySchema = z
  .object({
    id: z.uuid(),
    definition: DefinitionRefSchema.nullable(),
    type: z.enum(['saga', 'tcc']),
    status: transactionStatus,
    createdAt: instant,
    updatedAt: instant,
  })
  .strict()
  .meta({ id: 'TransactionSummary' });

/** A page of a listing: pass `nextCursor` as `cursor` for the next; null on the last. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).strict();
}

/** A whole listing in one answer. */
export function itemsSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item) }).strict();
}

export const TransactionPageSchema = pageSchema(TransactionSummarySchema).meta({ id: 'TransactionPage' });

/** `GET /v1/transactions/counts`: how many transactions have each status
 * (every status present, 0 included), each counted up to `limit`: a count of
 * `limit` means at least that many. Counting stops there so that a count
 * costs the same however many finished transactions the tables keep. */
export const TransactionCountsSchema = z
  .object({
    counts: z.record(z.enum(TRANSACTION_STATUSES), z.number().int().min(0)),
    limit: z.number().int().min(1),
  })
  .strict()
  .meta({ id: 'TransactionCounts' });

/** One participant call of `GET /v1/transactions/{id}/attempts`. */
export const AttemptViewSchema = z
  .object({
    id: z.string(),
    step: z.string(),
    phase,
    attempt: z.number().int().min(1),
    startedAt: instant,
    latencyMs: z.number().min(0),
    outcome: z.enum(ATTEMPT_OUTCOMES),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    /** The call that was made (null when none was sent): method and URL, credentials masked. */
    request: z.object({ method: z.string(), url: z.string() }).strict().nullable(),
    applied: z.boolean(),
    /** This call used up its step's retry budget. */
    budgetExhausted: z.boolean(),
    worker: z.string(),
  })
  .strict()
  .meta({ id: 'AttemptView' });

/** One operator action of `GET /v1/admin/audit`. */
export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: instant,
    /** The API key's name, or `admin-token`. */
    actor: z.string(),
    /** `retry`, `skip`, `resolve`, `abort`, `api-key.create`, `api-key.revoke`. */
    action: z.string(),
    /** The transaction acted on; null for actions on API keys. */
    transactionId: z.string().nullable(),
    note: z.string().nullable(),
    /** What the action changed: `{status}`, and `input` for a retry with a new input. */
    before: z.unknown(),
    after: z.unknown(),
    /** The transaction or API key acted on. */
    target: z.string().nullable(),
    details: z.unknown(),
  })
  .strict()
  .meta({ id: 'AuditEntry' });

/** `POST /v1/admin/transactions/retry`: how many matched, and the ids retried
 * (empty on a dry run). */
export const BulkRetryResultSchema = z
  .object({ matched: z.number().int().min(0), retried: z.array(z.uuid()) })
  .strict()
  .meta({ id: 'BulkRetryResult' });

/** One item of `GET /v1/admin/api-keys`: never the key itself. */
export const ApiKeyViewSchema = z
  .object({ id: z.uuid(), name: z.string(), scopes: z.array(z.enum(SCOPES)), createdAt: instant })
  .strict()
  .meta({ id: 'ApiKeyView' });

/** `POST /v1/admin/api-keys`: the only answer that carries `key`. */
export const CreatedApiKeyViewSchema = ApiKeyViewSchema.extend({ key: z.string() }).meta({ id: 'CreatedApiKeyView' });

export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];
export type DefinitionView = z.infer<typeof DefinitionViewSchema>;
export type DefinitionRef = z.infer<typeof DefinitionRefSchema>;
export type StepView = z.infer<typeof StepViewSchema>;
export type ReasonView = z.infer<typeof ReasonViewSchema>;
export type TransactionView = z.infer<typeof TransactionViewSchema>;
export type TransactionSummary = z.infer<typeof TransactionSummarySchema>;
export type TransactionCounts = z.infer<typeof TransactionCountsSchema>;
export type AttemptView = z.infer<typeof AttemptViewSchema>;
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
export type BulkRetryResult = z.infer<typeof BulkRetryResultSchema>;
export type ApiKeyView = z.infer<typeof ApiKeyViewSchema>;
export type CreatedApiKeyView = z.infer<typeof CreatedApiKeyViewSchema>;

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** `GET /console/settings.json`: what the web console needs to know before it calls the API. */
export interface ConsoleSettings {
  /** Whether the API asks for a credential (false: ADMIN_TOKEN unset, development only). */
  authRequired: boolean;
}
