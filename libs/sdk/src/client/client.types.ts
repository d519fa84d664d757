/** The coordinator's request and response bodies, as the client sees them
 * (libs/api's schemas and presenters are the source of truth). */
import type { Definition, Outcome, Spec, StepStatus, TransactionType } from '@accord/core';
import type { Phase } from '@accord/contracts';

export const TRANSACTION_STATUSES = [
  'RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'RESOLVED', 'STUCK',
  'TRYING', 'CONFIRMING', 'CANCELLING', 'CONFIRMED', 'CANCELLED',
] as const;
export type TransactionStatus = (typeof TRANSACTION_STATUSES)[number];

/** Where a transaction stops moving by itself: terminal, or waiting for an operator. */
export const SETTLED_STATUSES: readonly TransactionStatus[] = ['COMPLETED', 'COMPENSATED', 'CONFIRMED', 'CANCELLED', 'RESOLVED', 'STUCK'];

/** A definition body as registered (`POST /v1/definitions`). */
export type DefinitionBody = Definition;

/** A registered definition: the body plus what the server assigned. */
export type DefinitionView = Definition & { version: number; createdAt: string };

export interface DefinitionRef {
  name: string;
  version: number | null;
}

export interface StepView {
  name: string;
  status: StepStatus;
  /** Phase of the last scheduled call; null before the first. */
  phase: Phase | null;
  attempts: number;
  nextAttemptAt: string | null;
  output: unknown;
  lastError: string | null;
}

/** `GET /v1/transactions/{id}`. */
export interface TransactionView {
  id: string;
  /** null for an inline `spec`. */
  definition: DefinitionRef | null;
  inline: boolean;
  type: TransactionType;
  status: TransactionStatus;
  input: unknown;
  deadlineAt: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  steps: StepView[];
}

/** One row of `GET /v1/transactions`. */
export interface TransactionSummary {
  id: string;
  definition: DefinitionRef | null;
  type: TransactionType;
  status: TransactionStatus;
  createdAt: string;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** One participant call of `GET /v1/transactions/{id}/attempts`. */
export interface AttemptView {
  id: string;
  step: string;
  phase: Phase;
  attempt: number;
  startedAt: string;
  latencyMs: number;
  outcome: Outcome['type'];
  statusCode: number | null;
  error: string | null;
  applied: boolean;
  worker: string;
}

/** One operator action of `GET /v1/admin/audit`. */
export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  target: string | null;
  note: string | null;
  details: unknown;
  at: string;
}

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
