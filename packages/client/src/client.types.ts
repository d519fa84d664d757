/** The client's request shapes; the response bodies are the API's own types
 * from @accord/contracts. */
import type { Definition, DefinitionView, Spec, TransactionStatus, TransactionView } from '@accord/contracts';

export type {
  AttemptView, AuditEntry, DefinitionRef, DefinitionView, Page, StepView, TransactionStatus, TransactionSummary, TransactionView,
} from '@accord/contracts';
export { SETTLED_STATUSES, TRANSACTION_STATUSES } from '@accord/contracts';

/** A definition body as registered (`POST /v1/definitions`). */
export type DefinitionBody = Definition;

/** What to start: a registered definition or an inline spec, never both. */
export type StartTarget = { definition: string; version?: number; spec?: never } | { spec: Spec; definition?: never; version?: never };

export type StartRequest = StartTarget & {
  input?: unknown;
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

export interface ListFilter {
  status?: TransactionStatus;
  definition?: string;
  /** Page size, 1–500. Default 50 (server). */
  limit?: number;
  cursor?: string;
}

export interface BulkRetryRequest {
  status: 'STUCK';
  definition?: string;
  /** 1–1000. Default 100 (server). */
  limit?: number;
  note?: string;
}
