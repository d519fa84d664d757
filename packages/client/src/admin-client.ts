import { API_ROUTES, routePath, type ResponseOf } from '@accord/contracts';
import type {
  ApiKeyRequest, ApiKeyView, AuditEntry, AuditFilter, BulkRetryRequest, BulkRetryResult, CreatedApiKeyView, RetryRequest, SkipRequest, TransactionView,
} from './client.types';
import type { HttpTransport } from './http-transport';

/** Operator calls (scope `admin`). Actions on transactions and keys are
 * not retried by the client: each is audited, and a repeat after a lost
 * answer may fail with INVALID_STATE. Reads are. */
export class AccordAdminClient {
  constructor(private readonly http: HttpTransport) {}

  /** Resumes a STUCK transaction from where it stopped, with a fresh retry
   * budget; with `input` (even null), that replaces the transaction's input
   * for the steps that have not succeeded. */
  async retry(id: string, request: RetryRequest = {}): Promise<TransactionView> {
    const path = routePath(API_ROUTES.retryTransaction, { id });
    return (await this.http.send<ResponseOf<'retryTransaction', 202>>({ method: 'POST', path, body: request, idempotent: false })).body;
  }

  /** Closes the STUCK call of one step by hand: going forward the step counts
   * as succeeded with `output`; rolling back, as undone. */
  async skip(id: string, request: SkipRequest): Promise<TransactionView> {
    const path = routePath(API_ROUTES.skipStep, { id });
    return (await this.http.send<ResponseOf<'skipStep', 202>>({ method: 'POST', path, body: request, idempotent: false })).body;
  }

  /** Closes a STUCK transaction as RESOLVED by hand; `note` says what was done. */
  async resolve(id: string, note: string): Promise<TransactionView> {
    const path = routePath(API_ROUTES.resolveTransaction, { id });
    return (await this.http.send<ResponseOf<'resolveTransaction', 202>>({ method: 'POST', path, body: { note }, idempotent: false })).body;
  }

  /** Retries STUCK transactions in bulk, oldest first: how many matched and
   * the ids retried (none with `dryRun: true`, which changes nothing). */
  async retryMany(request: BulkRetryRequest): Promise<BulkRetryResult> {
    const path = routePath(API_ROUTES.retryTransactions);
    return (await this.http.send<ResponseOf<'retryTransactions', 202>>({ method: 'POST', path, body: request, idempotent: false })).body;
  }

  /** Operator actions, newest first: all, or one transaction's (`transactionId`). */
  async audit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const path = routePath(API_ROUTES.listAudit);
    return (await this.http.send<ResponseOf<'listAudit', 200>>({ method: 'GET', path, query: { ...filter }, idempotent: true })).body.items;
  }

  /** Creates an API key; its `key` is in this answer only. */
  async createApiKey(request: ApiKeyRequest): Promise<CreatedApiKeyView> {
    const path = routePath(API_ROUTES.createApiKey);
    return (await this.http.send<ResponseOf<'createApiKey', 201>>({ method: 'POST', path, body: request, idempotent: false })).body;
  }

  /** The API keys in use (no key material). */
  async listApiKeys(): Promise<ApiKeyView[]> {
    const path = routePath(API_ROUTES.listApiKeys);
    return (await this.http.send<ResponseOf<'listApiKeys', 200>>({ method: 'GET', path, idempotent: true })).body.items;
  }

  /** Revokes an API key: from then on it gets 401. */
  async revokeApiKey(id: string): Promise<void> {
    const path = routePath(API_ROUTES.revokeApiKey, { id });
    await this.http.send({ method: 'DELETE', path, idempotent: false });
  }
}
