import type { AuditEntry, BulkRetryRequest, TransactionView } from './client.types';
import type { HttpTransport } from './http-transport';

/** Operator calls (scope `admin`). None is retried by the client: each is
 * audited, and a repeat after a lost answer may fail with INVALID_STATE. */
export class AccordAdminClient {
  constructor(private readonly http: HttpTransport) {}

  /** Resumes a STUCK transaction from where it stopped, with a fresh retry budget. */
  async retry(id: string, note?: string): Promise<TransactionView> {
    const path = `/v1/admin/transactions/${encodeURIComponent(id)}/retry`;
    return (await this.http.send<TransactionView>({ method: 'POST', path, body: { note }, idempotent: false })).body;
  }

  /** Closes a STUCK transaction as RESOLVED by hand; `note` says what was done. */
  async resolve(id: string, note: string): Promise<TransactionView> {
    const path = `/v1/admin/transactions/${encodeURIComponent(id)}/resolve`;
    return (await this.http.send<TransactionView>({ method: 'POST', path, body: { note }, idempotent: false })).body;
  }

  /** Retries STUCK transactions in bulk, oldest first; resolves the ids it retried. */
  async retryMany(request: BulkRetryRequest): Promise<string[]> {
    const answer = await this.http.send<{ retried: string[] }>({
      method: 'POST',
      path: '/v1/admin/transactions/retry',
      body: request,
      idempotent: false,
    });
    return answer.body.retried;
  }

  /** Operator actions, newest first. `before` is an entry id, for paging. */
  async audit(options: { limit?: number; before?: string } = {}): Promise<AuditEntry[]> {
    const answer = await this.http.send<{ items: AuditEntry[] }>({
      method: 'GET',
      path: '/v1/admin/audit',
      query: options,
      idempotent: true,
    });
    return answer.body.items;
  }
}
