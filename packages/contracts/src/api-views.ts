/** The API's response bodies: the presenters in libs/api return these types
 * and the client SDK reads them, so the two cannot drift apart. */
import type { Definition, TransactionType } from './definition.schema';
import type { Phase } from './participant.protocol';
import type { StepStatus, TransactionStatus } from './statuses';

/** How the coordinator read a participant's answer (the contract's response
 * table): done, refused, unknown (retried) or misconfigured. */
export type AttemptOutcome = 'ok' | 'refused' | 'retry' | 'misconfigured';

/** A registered definition: the body plus what the server assigned. */
export type DefinitionView = Definition & { version: number; createdAt: string };

export interface DefinitionRef {
  name: string;
  version: number | null;
}

export interface StepView {
  name: string;
  /** The steps it waits for, as planned (see `dependenciesOf`). */
  dependsOn: string[];
  status: StepStatus;
  /** Phase of the last scheduled call; null before the first. */
  phase: Phase | null;
  attempts: number;
  nextAttemptAt: string | null;
  /** What every phase of the step is sent (rendered when it first ran). */
  input: unknown;
  output: unknown;
  lastError: string | null;
}

/** Why a transaction rolled back or stopped. */
export interface ReasonView {
  /** The step whose answer caused it; null for the deadline or an abort. */
  step: string | null;
  phase: Phase | null;
  message: string;
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
  /** Why it rolled back (saga) or cancelled (TCC); null going forward. */
  rollbackReason: ReasonView | null;
  /** Why it is STUCK (kept when it was resolved by hand); null otherwise. */
  stuckReason: ReasonView | null;
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

/** `GET /v1/transactions/counts`: how many transactions have each status
 * (every status present, 0 included). */
export interface TransactionCounts {
  counts: Record<TransactionStatus, number>;
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
  outcome: AttemptOutcome;
  statusCode: number | null;
  error: string | null;
  /** The call that was made (null when none was sent): method and URL, credentials masked. */
  request: { method: string; url: string } | null;
  applied: boolean;
  /** This call used up its step's retry budget. */
  budgetExhausted: boolean;
  worker: string;
}

/** One operator action of `GET /v1/admin/audit`. */
export interface AuditEntry {
  id: string;
  at: string;
  /** The API key's name, or `admin-token`. */
  actor: string;
  /** `retry`, `skip`, `resolve`, `abort`, `api-key.create`, `api-key.revoke`. */
  action: string;
  /** The transaction acted on; null for actions on API keys. */
  transactionId: string | null;
  note: string | null;
  /** What the action changed: `{status}`, and `input` for a retry with a new input. */
  before: unknown;
  after: unknown;
  /** The transaction or API key acted on. */
  target: string | null;
  details: unknown;
}

/** One item of `GET /v1/admin/api-keys`: never the key itself. */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
}

/** `POST /v1/admin/api-keys`: the only answer that carries `key`. */
export interface CreatedApiKeyView extends ApiKeyView {
  key: string;
}

/** `GET /console/settings.json`: what the web console needs to know before it calls the API. */
export interface ConsoleSettings {
  /** Whether the API asks for a credential (false: ADMIN_TOKEN unset, development only). */
  authRequired: boolean;
}
