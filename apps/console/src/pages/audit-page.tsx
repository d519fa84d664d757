import type { AuditEntry } from '@accord/contracts';
import { useLocation } from 'preact-iso';
import { useState } from 'preact/hooks';
import { accord } from '../api/accord';
import { AuditChange } from '../components/audit-change';
import { ErrorNotice } from '../components/error-notice';
import { ListTable } from '../components/list-table';
import { formatTime, shortId } from '../format';
import { paths } from '../paths';
import { useLoad } from '../use-load';

const PAGE_SIZE = 50;

/** Every operator action, newest first; `?transactionId=` narrows it to one transaction. */
export function AuditPage() {
  const { query, route } = useLocation();
  const transactionId = query.transactionId || undefined;
  const first = useLoad(() => accord.audit({ transactionId, limit: PAGE_SIZE }), [transactionId]);
  const [older, setOlder] = useState<{ for?: string; items: AuditEntry[]; done: boolean }>({ items: [], done: false });
  const [olderError, setOlderError] = useState<Error>();
  const more = older.for === transactionId ? older : { items: [], done: false };
  const entries = [...(first.data ?? []), ...more.items];
  const last = entries[entries.length - 1];
  const exhausted = (first.data?.length ?? 0) < PAGE_SIZE || more.done;

  const loadOlder = () =>
    accord.audit({ transactionId, before: last.id, limit: PAGE_SIZE }).then(
      (items) => setOlder({ for: transactionId, items: [...more.items, ...items], done: items.length < PAGE_SIZE }),
      (error: Error) => setOlderError(error),
    );

  const submit = (event: Event) => {
    event.preventDefault();
    const value = (new FormData(event.currentTarget as HTMLFormElement).get('transactionId') as string).trim();
    route(paths.audit(value || undefined));
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form class="filters" onSubmit={submit} key={transactionId} aria-label="Filter the audit log">
        <div class="field">
          <label for="audit-tx">Transaction id</label>
          <input id="audit-tx" name="transactionId" class="mono" value={transactionId ?? ''} />
        </div>
        <div class="filter-buttons">
          <button type="submit" class="primary">
            Show
          </button>
          <button type="button" onClick={() => route(paths.audit())}>
            All
          </button>
        </div>
      </form>
      <ErrorNotice error={first.error ?? olderError} />
      {first.data && entries.length === 0 && <p class="empty">No operator action recorded{transactionId ? ' for this transaction' : ''}.</p>}
      {entries.length > 0 && (
        <ListTable caption="Operator actions, newest first" columns={['When', 'Who', 'Action', 'Transaction', 'Note', 'Change']}>
          {entries.map((e) => (
            <tr key={e.id}>
              <td data-label="When">{formatTime(e.at)}</td>
              <td data-label="Who">{e.actor}</td>
              <td data-label="Action">{e.action}</td>
              <td data-label="Transaction">
                {e.transactionId ? (
                  <a href={paths.transaction(e.transactionId)} class="mono" title={e.transactionId}>
                    {shortId(e.transactionId)}
                  </a>
                ) : (
                  '—'
                )}
              </td>
              <td data-label="Note">{e.note ?? '—'}</td>
              <td data-label="Change">
                <AuditChange entry={e} />
              </td>
            </tr>
          ))}
        </ListTable>
      )}
      {!exhausted && entries.length > 0 && (
        <button type="button" onClick={() => void loadOlder()}>
          Older entries
        </button>
      )}
    </section>
  );
}
