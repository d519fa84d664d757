/** The coordinator's API as the console uses it: the public /v1 routes and
 * the queue view's session, nothing else. */
import type {
  AttemptView, AuditEntry, ConsoleSettings, DefinitionView, Page, TransactionCounts, TransactionStatus, TransactionSummary, TransactionView,
} from '@accord/contracts';
import { request } from './http';

/** The list's filters, as the API's query parameters. */
export interface TransactionFilter {
  status?: TransactionStatus;
  definition?: string;
  from?: string;
  to?: string;
  id?: string;
  idempotencyKey?: string;
}

const tx = (id: string) => `/v1/transactions/${encodeURIComponent(id)}`;
const admin = (id: string) => `/v1/admin/transactions/${encodeURIComponent(id)}`;

export const accord = {
  settings: () => request<ConsoleSettings>('GET', '/console/settings.json'),
  transactions: (filter: TransactionFilter, cursor?: string, limit = 25) =>
    request<Page<TransactionSummary>>('GET', '/v1/transactions', { query: { ...filter, cursor, limit } }),
  counts: (filter: Omit<TransactionFilter, 'status'>) => request<TransactionCounts>('GET', '/v1/transactions/counts', { query: { ...filter } }),
  transaction: (id: string) => request<TransactionView>('GET', tx(id)),
  attempts: (id: string) => request<{ items: AttemptView[] }>('GET', `${tx(id)}/attempts`).then((page) => page.items),
  definitions: () => request<{ items: DefinitionView[] }>('GET', '/v1/definitions').then((page) => page.items),
  versions: (name: string, before?: number) =>
    request<{ items: DefinitionView[] }>('GET', `/v1/definitions/${encodeURIComponent(name)}/versions`, { query: { before, limit: 20 } }).then(
      (page) => page.items,
    ),
  audit: (query: { transactionId?: string; before?: string; limit?: number }) =>
    request<{ items: AuditEntry[] }>('GET', '/v1/admin/audit', { query }).then((page) => page.items),

  retry: (id: string, body: { note: string; input?: unknown }) => request<TransactionView>('POST', `${admin(id)}/retry`, { body }),
  skip: (id: string, body: { step: string; output?: unknown; note: string }) => request<TransactionView>('POST', `${admin(id)}/skip`, { body }),
  resolve: (id: string, body: { note: string }) => request<TransactionView>('POST', `${admin(id)}/resolve`, { body }),
  abort: (id: string, body: { note: string }) => request<TransactionView>('POST', `${tx(id)}/abort`, { body }),

  /** Sets the cookie that lets this browser open /admin/queues for a few minutes. */
  openQueueSession: () => request<null>('POST', '/admin/queues/session'),
  closeQueueSession: () => request<null>('DELETE', '/admin/queues/session'),
};
