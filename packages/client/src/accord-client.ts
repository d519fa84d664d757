import { randomUUID } from 'node:crypto';
import { API_ROUTES, routePath, type ResponseOf } from '@accord/contracts';
import { AccordAdminClient } from './admin-client';
import {
  SETTLED_STATUSES,
  type AttemptView,
  type DefinitionBody,
  type DefinitionView,
  type ListFilter,
  type Page,
  type RegisterResult,
  type StartRequest,
  type StartResult,
  type TransactionSummary,
  type TransactionView,
} from './client.types';
import { HttpTransport, type HttpTransportOptions } from './http-transport';

/** See HttpTransportOptions for each field. */
export type AccordClientOptions = HttpTransportOptions;

/** `wait` asks for at most this much per request, so no proxy idles out. */
const WAIT_CHUNK_MS = 20_000;

/**
 * A typed client of the coordinator's API. Reads, registrations and starts
 * are retried by the API's own rules — a 503 or 429 after its Retry-After, and
 * a connection error (no answer) after a backoff: a start always carries an
 * idempotency key (a random one unless you give yours), so a retried start
 * can never create a second transaction. Aborts and operator actions are
 * sent once. Every error answer is thrown as an AccordApiError.
 */
export class AccordClient {
  /** Operator actions (scope `admin`). */
  readonly admin: AccordAdminClient;
  private readonly http: HttpTransport;

  constructor(options: AccordClientOptions) {
    this.http = new HttpTransport(options);
    this.admin = new AccordAdminClient(this.http);
  }

  /** Registers a definition; the server assigns the version. Retried: a body
   * identical to the latest version returns that version (`created: false`). */
  async registerDefinition(body: DefinitionBody): Promise<RegisterResult> {
    const answer = await this.http.send<DefinitionView>({ method: 'POST', path: routePath(API_ROUTES.registerDefinition), body, idempotent: true });
    return { definition: answer.body, created: answer.status === 201 };
  }

  /** The latest version of `name`, or the given one. */
  async getDefinition(name: string, version?: number): Promise<DefinitionView> {
    const path =
      version === undefined ? routePath(API_ROUTES.getDefinition, { name }) : routePath(API_ROUTES.getDefinitionVersion, { name, version });
    return (await this.http.send<DefinitionView>({ method: 'GET', path, idempotent: true })).body;
  }

  /** The latest version of every definition. */
  async listDefinitions(): Promise<DefinitionView[]> {
    const path = routePath(API_ROUTES.listDefinitions);
    return (await this.http.send<ResponseOf<'listDefinitions', 200>>({ method: 'GET', path, idempotent: true })).body.items;
  }

  /** Starts a transaction (see StartRequest). */
  async start(request: StartRequest): Promise<StartResult> {
    const { waitMs, ...fields } = request;
    const idempotencyKey = fields.idempotencyKey ?? randomUUID();
    const answer = await this.http.send<TransactionView>({
      method: 'POST',
      path: routePath(API_ROUTES.startTransaction),
      query: { waitMs },
      body: { ...fields, idempotencyKey },
      idempotent: true,
      holdMs: waitMs,
    });
    return { transaction: answer.body, created: answer.status === 201, idempotencyKey };
  }

  /** The transaction with its steps; with `waitMs`, once it settles
   * (terminal or STUCK) or that many ms passed. */
  async get(id: string, options: { waitMs?: number } = {}): Promise<TransactionView> {
    const answer = await this.http.send<TransactionView>({
      method: 'GET',
      path: routePath(API_ROUTES.getTransaction, { id }),
      query: { waitMs: options.waitMs },
      idempotent: true,
      holdMs: options.waitMs,
    });
    return answer.body;
  }

  /** Waits until the transaction settles (terminal or STUCK) or `timeoutMs`
   * passed, and resolves its latest view either way: check `status`. */
  async wait(id: string, options: { timeoutMs: number }): Promise<TransactionView> {
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      const view = await this.get(id, { waitMs: Math.max(0, Math.min(left, WAIT_CHUNK_MS)) });
      if (SETTLED_STATUSES.includes(view.status) || Date.now() >= deadline) return view;
    }
  }

  /** One page of transactions, newest first. */
  async list(filter: ListFilter = {}): Promise<Page<TransactionSummary>> {
    const path = routePath(API_ROUTES.listTransactions);
    return (await this.http.send<Page<TransactionSummary>>({ method: 'GET', path, query: { ...filter }, idempotent: true })).body;
  }

  /** Every transaction matching `filter`, newest first, fetching page after page. */
  async *listAll(filter: Omit<ListFilter, 'cursor'> = {}): AsyncGenerator<TransactionSummary> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...filter, cursor });
      yield* page.items;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /** Every participant call made for the transaction, oldest first. */
  async attempts(id: string): Promise<AttemptView[]> {
    const path = routePath(API_ROUTES.listAttempts, { id });
    return (await this.http.send<ResponseOf<'listAttempts', 200>>({ method: 'GET', path, idempotent: true })).body.items;
  }

  /** Asks a transaction that has not passed its commit point to roll back
   * (AccordApiError 409 INVALID_STATE if it has); `note` goes into the audit log. Not retried. */
  async abort(id: string, note?: string): Promise<TransactionView> {
    const path = routePath(API_ROUTES.abortTransaction, { id });
    const body = note === undefined ? undefined : { note };
    return (await this.http.send<ResponseOf<'abortTransaction', 202>>({ method: 'POST', path, body, idempotent: false })).body;
  }
}
