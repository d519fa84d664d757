import { isSettled, type ReasonView, type TransactionView } from '@accord/contracts';
import { useEffect, useState } from 'preact/hooks';
import { accord } from '../api/accord';
import { AuditChange } from '../components/audit-change';
import { ErrorNotice } from '../components/error-notice';
import { ListTable } from '../components/list-table';
import { JsonView } from '../components/json-view';
import { OperatorActions } from '../components/operator-actions';
import { StatusBadge } from '../components/status-badge';
import { StepGraph } from '../components/step-graph';
import { formatMs, formatTime, shortId } from '../format';
import { paths } from '../paths';
import { useLoad } from '../use-load';

/** Refreshed this often until it settles (terminal or STUCK). */
const POLL_MS = 1500;

export function TransactionPage({ id }: { id: string }) {
  const [lastAction, setLastAction] = useState<string>();
  const [moving, setMoving] = useState(true);
  const tx = useLoad(
    () =>
      accord.transaction(id).then((view) => {
        setMoving(!isSettled(view.status));
        return view;
      }),
    [id],
    moving ? POLL_MS : null,
  );
  const view = tx.data;
  const changed = view?.updatedAt;
  const attempts = useLoad(() => accord.attempts(id), [id]);
  const history = useLoad(() => accord.audit({ transactionId: id, limit: 20 }), [id]);
  // Each change of the transaction may come with new calls and operator actions.
  useEffect(() => {
    if (changed === undefined) return;
    attempts.reload();
    history.reload();
  }, [changed]);

  if (!view) {
    return (
      <section>
        <h1>Transaction {shortId(id)}</h1>
        {tx.error ? <ErrorNotice error={tx.error} /> : <p>Loading…</p>}
      </section>
    );
  }

  const acted = (message: string, next: TransactionView) => {
    setLastAction(message.replace('{status}', next.status));
    setMoving(true);
    tx.reload();
  };

  return (
    <article aria-labelledby="tx-title" class="transaction">
      <header class="page-header">
        <h1 id="tx-title">
          Transaction <span class="mono">{shortId(view.id)}</span> <StatusBadge status={view.status} />
        </h1>
        <dl class="facts">
          <dt>Id</dt>
          <dd class="mono">{view.id}</dd>
          <dt>Definition</dt>
          <dd>
            {view.definition ? (
              <a href={paths.definition(view.definition.name)}>
                {view.definition.name} v{view.definition.version}
              </a>
            ) : (
              `inline ${view.type} spec`
            )}
          </dd>
          <dt>Type</dt>
          <dd>{view.type}</dd>
          <dt>Created</dt>
          <dd>{formatTime(view.createdAt)}</dd>
          <dt>Updated</dt>
          <dd>{formatTime(view.updatedAt)}</dd>
          <dt>Finished</dt>
          <dd>{formatTime(view.finishedAt)}</dd>
          <dt>Deadline</dt>
          <dd>{formatTime(view.deadlineAt)}</dd>
        </dl>
      </header>
      <Reason title="Why it is stuck" reason={view.stuckReason} tone="stuck" />
      <Reason title={view.type === 'tcc' ? 'Why it cancelled' : 'Why it rolled back'} reason={view.rollbackReason} tone="rollback" />
      <ErrorNotice error={tx.error} />
      {lastAction && (
        <p class="notice notice-ok" role="status">
          {lastAction}
        </p>
      )}

      <OperatorActions transaction={view} onDone={acted} />

      <section aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        <StepGraph steps={view.steps} label={`Steps of transaction ${shortId(view.id)} as a graph`} linkSteps />
        <ListTable columns={['Step', 'Status', 'Phase', 'Attempts', 'Next attempt', 'Last error']}>
          {view.steps.map((s) => (
            <tr key={s.name} id={`step-${encodeURIComponent(s.name)}`} tabIndex={-1}>
              <th scope="row" data-label="Step">
                {s.name}
              </th>
              <td data-label="Status">
                <StatusBadge status={s.status} />
              </td>
              <td data-label="Phase">{s.phase ?? '—'}</td>
              <td data-label="Attempts">{s.attempts}</td>
              <td data-label="Next attempt">{formatTime(s.nextAttemptAt)}</td>
              <td data-label="Last error" class={s.lastError ? 'error-text' : undefined}>
                {s.lastError ?? '—'}
              </td>
            </tr>
          ))}
        </ListTable>
      </section>

      <section aria-labelledby="io-title">
        <h2 id="io-title">Inputs and outputs</h2>
        <h3>Transaction input</h3>
        <JsonView value={view.input} label="Transaction input" />
        {view.steps.map((s) => (
          <details key={s.name} class="step-io">
            <summary>
              {s.name} <StatusBadge status={s.status} />
            </summary>
            <div class="io-pair">
              <div>
                <h4>Input sent</h4>
                <JsonView value={s.input} label={`Input of ${s.name}`} />
              </div>
              <div>
                <h4>Output</h4>
                <JsonView value={s.output} label={`Output of ${s.name}`} />
              </div>
            </div>
          </details>
        ))}
      </section>

      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <p class="hint">Every call made to a participant, oldest first.</p>
        <ErrorNotice error={attempts.error} />
        {attempts.data && attempts.data.length === 0 && <p class="empty">No call made yet.</p>}
        {attempts.data && attempts.data.length > 0 && (
          <ol class="timeline" aria-label="Attempt log">
            {attempts.data.map((a) => (
              <li key={a.id} class={`attempt attempt-${a.outcome}${a.applied ? '' : ' attempt-superseded'}`}>
                <span class="attempt-time">{formatTime(a.startedAt)}</span>
                <span class="attempt-what">
                  <strong>{a.step}</strong> {a.phase} #{a.attempt}
                </span>
                <span class="attempt-result">
                  <span class={`outcome outcome-${a.outcome}`}>{a.outcome}</span> {a.statusCode === null ? 'no answer' : `HTTP ${a.statusCode}`} ·{' '}
                  {formatMs(a.latencyMs)}
                  {a.budgetExhausted && ' · retry budget used up'}
                  {!a.applied && ' · superseded, not applied'}
                </span>
                {a.error && <span class="attempt-error error-text">{a.error}</span>}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="history-title">
        <h2 id="history-title">Operator history</h2>
        {history.error ? (
          <p class="hint">The audit log could not be read ({history.error.message}).</p>
        ) : history.data && history.data.length === 0 ? (
          <p class="empty">No operator has acted on this transaction.</p>
        ) : (
          <ul class="history">
            {history.data?.map((entry) => (
              <li key={entry.id}>
                {formatTime(entry.at)} — <strong>{entry.actor}</strong> {entry.action} (<AuditChange entry={entry} />)
                {entry.note && `: “${entry.note}”`}
              </li>
            ))}
          </ul>
        )}
        <p>
          <a href={paths.audit(view.id)}>Its entries in the audit log</a>
        </p>
      </section>
    </article>
  );
}

/** Why the transaction stopped or went back, naming the step whose answer did it. */
function Reason({ title, reason, tone }: { title: string; reason: ReasonView | null; tone: 'stuck' | 'rollback' }) {
  if (!reason) return null;
  return (
    <section class={`reason reason-${tone}`} aria-label={title}>
      <h2>{title}</h2>
      <p>
        {reason.step ? (
          <>
            <a href={`#step-${encodeURIComponent(reason.step)}`}>{reason.step}</a>
            {reason.phase && ` (${reason.phase})`}:{' '}
          </>
        ) : null}
        <span class="reason-message">{reason.message}</span>
      </p>
    </section>
  );
}
