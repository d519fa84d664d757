/** The client's request and answer shapes, inferred from the API's own
 * schemas in @accord/contracts (the route table the API is routed by). */
import type { DefinitionView, QueryOf, RequestBodyOf, Spec, TransactionView } from '@accord/contracts';
export type {
  ApiKeyView, AttemptView, AuditEntry, BulkRetryResult, CreatedApiKeyView, DefinitionRef, DefinitionView, Page, Scope, StepView, TransactionStatus,
  TransactionSummary, TransactionView,
} from '@accord/contracts';
export { SCOPES, SETTLED_STATUSES, TRANSACTION_STATUSES } from '@accord/contracts';

/** A definition body as registered (`POST /v1/definitions`). */
export type DefinitionBody = RequestBodyOf<'registerDefinition'>;

/** What to start: a registered definition or an inline spec, never both. */
export type StartTarget = { definition: string; version?: number; spec?: never } | { spec: Spec; definition?: never; version?: never };

export type StartRequest = StartTarget &
  Pick<RequestBodyOf<'startTransaction'>, 'input'> & {
    /** Deduplicates starts: the same key with the same request returns the
     * same transaction. Default: a fresh random UUID, so the client's own
     * retries of this call are safe; pass your own (e.g. the order id) to make
     * retries across processes safe too. */
    idempotencyKey?: string;
    /** Answer once the transaction settles (terminal or STUCK) or this many ms
     * passed. Default: answer at once. */
    waitMs?: number;
  };

export interface StartResult {
  transaction: TransactionView;
  /** false when the key matched an earlier start (HTTP 200 instead of 201). */
  created: boolean;
  /** The key sent, generated or given. */
  idempotencyKey: string;
}

export interface RegisterResult {
  definition: DefinitionView;
  /** false when the body equals the latest version, which is returned. */
  created: boolean;
}

/** `GET /v1/transactions`' filters: status, definition, creation time, id prefix, idempotency key; page size (1–500, default 50) and cursor. */
export type ListFilter = QueryOf<'listTransactions'>;

/** `POST /v1/admin/transactions/retry`: `limit` 1–1000 (default 100); `dryRun` counts and changes nothing. */
export type BulkRetryRequest = RequestBodyOf<'retryTransactions'>;
/** `POST /v1/admin/transactions/{id}/retry`: `input`, when given (even null), replaces the transaction's input. */
export type RetryRequest = RequestBodyOf<'retryTransaction'>;
/** `POST /v1/admin/transactions/{id}/skip`: going forward, `output` is the step's output. */
export type SkipRequest = RequestBodyOf<'skipStep'>;
/** `POST /v1/admin/api-keys`. */
export type ApiKeyRequest = RequestBodyOf<'createApiKey'>;
/** `GET /v1/admin/audit`: `before` is an entry id, for paging; `transactionId` one transaction's entries. */
export type AuditFilter = QueryOf<'listAudit'>;
