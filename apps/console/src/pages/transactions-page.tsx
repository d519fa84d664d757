import { TRANSACTION_STATUSES, type TransactionCounts, type TransactionStatus } from '@accord/contracts';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { accord, type TransactionFilter } from '../api/accord';
import { ErrorNotice } from '../components/error-notice';
import { ListTable } from '../components/list-table';
import { StatusBadge } from '../components/status-badge';
import { formatTime, fromLocalInput, shortId, toLocalInput } from '../format';
import { paths } from '../paths';
import { useLoad } from '../use-load';

const FILTER_FIELDS = ['status', 'definition', 'from', 'to', 'id', 'idempotencyKey'] as const;
const PAGE_SIZE = 25;

/** The counts as shown: one at the API's limit is "at least" (10000+), and so
 * is a total that includes one. */
function shownCounts({ counts, limit }: TransactionCounts): { total: string; of: Record<TransactionStatus, string> } {
  const shown = (n: number, atLeast: boolean) => `${n}${atLeast ? '+' : ''}`;
  const values = Object.values(counts);
  return {
    total: shown(values.reduce((sum, n) => sum + n, 0), values.some((n) => n >= limit)),
    of: Object.fromEntries(TRANSACTION_STATUSES.map((s) => [s, shown(counts[s], counts[s] >= limit)])) as Record<TransactionStatus, string>,
  };
}

/** The filters are the page's query string, so a filtered list is a link
 * (the stuck queue is `?status=STUCK`). */
function filterOf(query: Record<string, string>): TransactionFilter {
  const filter: Record<string, string> = {};
  for (const field of FILTER_FIELDS) if (query[field]) filter[field] = query[field];
  return filter;
}

export function TransactionsPage() {
  const { query, route } = useLocation();
  const filter = filterOf(query);
  const { status, ...withoutStatus } = filter;
  const key = JSON.stringify(filter);
  // Cursors of the pages before the current one: "Newer" pops, "Older" pushes.
  const [pages, setPages] = useState<{ key: string; cursors: (string | undefined)[] }>({ key, cursors: [undefined] });
  const cursors = pages.key === key ? pages.cursors : [undefined];
  const cursor = cursors[cursors.length - 1];

  const counts = useLoad(() => accord.counts(withoutStatus), [JSON.stringify(withoutStatus)], 5000);
  // The first page follows new transactions as they come; later pages hold still.
  const list = useLoad(() => accord.transactions(filter, cursor, PAGE_SIZE), [key, cursor], cursor === undefined ? 5000 : null);
  const shown = counts.data && shownCounts(counts.data);
  const withStatus = (s: TransactionStatus | undefined) => paths.transactions({ ...filter, status: s });

  return (
    <section aria-labelledby="transactions-title">
      <h1 id="transactions-title">{status === 'STUCK' ? 'Stuck transactions' : 'Transactions'}</h1>

      <nav aria-label="Counts by status" class="counts">
        <ul>
          <li>
            <a href={withStatus(undefined)} aria-current={status === undefined ? 'page' : undefined}>
              All <span class="count">{shown?.total ?? '…'}</span>
            </a>
          </li>
          {TRANSACTION_STATUSES.map((s) => (
            <li key={s}>
              <a href={withStatus(s)} aria-current={status === s ? 'page' : undefined} class={`count-${s.toLowerCase()}`}>
                {s} <span class="count">{shown?.of[s] ?? '…'}</span>
              </a>
            </li>
          ))}
        </ul>
      </nav>

      <Filters filter={filter} onApply={(next) => route(paths.transactions({ ...next }))} />

      <ErrorNotice error={list.error ?? counts.error} />
      {list.data && list.data.items.length === 0 && <p class="empty">No transaction matches these filters.</p>}
      {list.data && list.data.items.length > 0 && (
        <ListTable caption="Transactions, newest first" columns={['Transaction', 'Definition', 'Status', 'Created', 'Updated']}>
          {list.data.items.map((t) => (
            <tr key={t.id}>
              <td data-label="Transaction">
                <a href={paths.transaction(t.id)} class="mono" title={t.id}>
                  {shortId(t.id)}
                </a>
              </td>
              <td data-label="Definition">{t.definition ? `${t.definition.name} v${t.definition.version}` : <em>inline {t.type}</em>}</td>
              <td data-label="Status">
                <StatusBadge status={t.status} />
              </td>
              <td data-label="Created">{formatTime(t.createdAt)}</td>
              <td data-label="Updated">{formatTime(t.updatedAt)}</td>
            </tr>
          ))}
        </ListTable>
      )}
      <div class="pager">
        <button type="button" disabled={cursors.length <= 1} onClick={() => setPages({ key, cursors: cursors.slice(0, -1) })}>
          Newer
        </button>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => setPages({ key, cursors: [...cursors, list.data!.nextCursor ?? undefined] })}
        >
          Older
        </button>
      </div>
    </section>
  );
}

function Filters({ filter, onApply }: { filter: TransactionFilter; onApply: (filter: Record<string, string | undefined>) => void }) {
  const definitions = useLoad(() => accord.definitions(), []);
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => (form.get(name) as string | null)?.trim() || undefined;
    onApply({
      status: text('status'),
      definition: text('definition'),
      from: fromLocalInput(text('from') ?? ''),
      to: fromLocalInput(text('to') ?? ''),
      id: text('id'),
      idempotencyKey: text('idempotencyKey'),
    });
  };
  // Keyed by the filter, so the fields show what is applied after a link changed it.
  return (
    <form class="filters" onSubmit={submit} key={JSON.stringify(filter)} aria-label="Filters">
      <div class="field">
        <label for="f-status">Status</label>
        <select id="f-status" name="status" value={filter.status ?? ''}>
          <option value="">Any</option>
          {TRANSACTION_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-definition">Definition</label>
        <select id="f-definition" name="definition" value={filter.definition ?? ''}>
          <option value="">Any</option>
          {filter.definition && !definitions.data?.some((d) => d.name === filter.definition) && <option value={filter.definition}>{filter.definition}</option>}
          {definitions.data?.map((d) => (
            <option key={d.name} value={d.name}>
              {d.name}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="f-from">Created from</label>
        <input id="f-from" name="from" type="datetime-local" value={toLocalInput(filter.from)} />
      </div>
      <div class="field">
        <label for="f-to">Created before</label>
        <input id="f-to" name="to" type="datetime-local" value={toLocalInput(filter.to)} />
      </div>
      <div class="field">
        <label for="f-id">Transaction id</label>
        <input id="f-id" name="id" class="mono" placeholder="whole or first digits" value={filter.id ?? ''} />
      </div>
      <div class="field">
        <label for="f-key">Idempotency key</label>
        <input id="f-key" name="idempotencyKey" class="mono" value={filter.idempotencyKey ?? ''} maxLength={255} />
      </div>
      <div class="filter-buttons">
        <button type="submit" class="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => onApply({})}>
          Clear
        </button>
      </div>
    </form>
  );
}
