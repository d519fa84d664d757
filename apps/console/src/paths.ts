/** Where the coordinator serves the console, and the console's own pages below it. */
export const BASE = '/console';

export const paths = {
  transactions: (query: Record<string, string | undefined> = {}) => {
    const search = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => !!e[1])).toString();
    return `${BASE}/${search ? `?${search}` : ''}`;
  },
  stuck: () => paths.transactions({ status: 'STUCK' }),
  transaction: (id: string) => `${BASE}/transactions/${encodeURIComponent(id)}`,
  definitions: () => `${BASE}/definitions`,
  definition: (name: string) => `${BASE}/definitions/${encodeURIComponent(name)}`,
  audit: (transactionId?: string) => `${BASE}/audit${transactionId ? `?transactionId=${encodeURIComponent(transactionId)}` : ''}`,
  queues: () => '/admin/queues',
};
