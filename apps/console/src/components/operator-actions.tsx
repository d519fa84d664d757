import type { StepView, TransactionView } from '@accord/contracts';
import { useState } from 'preact/hooks';
import { accord } from '../api/accord';
import { ActionDialog, parseJsonField } from './action-dialog';

type Action = 'retry' | 'retry-input' | 'skip' | 'resolve' | 'abort';

/** The actions whose dialog asks for nothing but the note. */
const NOTE_ONLY = {
  retry: {
    title: 'Retry transaction',
    description: 'Resumes the transaction from where it stopped, with a fresh retry budget for its stuck calls.',
    confirm: 'Retry',
    done: 'Retried: the transaction is {status}.',
    run: (id: string, note: string) => accord.retry(id, { note }),
  },
  resolve: {
    title: 'Resolve transaction',
    description: 'Closes the transaction as RESOLVED: nothing more is called. Say in the note what was done by hand.',
    confirm: 'Resolve',
    done: 'Resolved: the transaction is {status}.',
    run: (id: string, note: string) => accord.resolve(id, { note }),
  },
  abort: {
    title: 'Abort transaction',
    description: 'Rolls the transaction back: what was done is compensated (or cancelled). Refused once it passed its commit point.',
    confirm: 'Abort',
    done: 'Aborted: the transaction is {status}.',
    run: (id: string, note: string) => accord.abort(id, { note }),
  },
} as const;

/** Phases whose skip carries an output: the step then counts as succeeded
 * going forward. A skipped compensation, confirm or cancel carries none. */
const FORWARD_PHASES = new Set(['action', 'try']);
/** Where an abort applies: still going forward (the API answers 409 past the commit point). */
const ABORTABLE = new Set(['RUNNING', 'TRYING']);

/**
 * What an operator can do to this transaction now, each behind a dialog that
 * asks for a note. `onDone` gets a message ({status} stands for the status
 * the API answered) and the transaction as the API answered it.
 */
export function OperatorActions({ transaction, onDone }: { transaction: TransactionView; onDone: (message: string, next: TransactionView) => void }) {
  const [open, setOpen] = useState<Action | null>(null);
  const stuck = transaction.status === 'STUCK';
  const abortable = ABORTABLE.has(transaction.status);
  const noteOnly = open === 'retry' || open === 'resolve' || open === 'abort' ? NOTE_ONLY[open] : null;
  const close = () => setOpen(null);
  const done = (message: string) => (next: TransactionView) => onDone(message, next);
  const button = (action: Action, label: string) => (
    <button type="button" onClick={() => setOpen(action)}>
      {label}
    </button>
  );

  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title">Operator actions</h2>
      {stuck && <p>This transaction waits for an operator: fix the participant, then retry it; or close its stuck call or the whole transaction by hand.</p>}
      {!stuck && !abortable && <p class="hint">No operator action applies to a {transaction.status} transaction.</p>}
      <div class="action-buttons">
        {stuck && button('retry', 'Retry')}
        {stuck && button('retry-input', 'Retry with new input')}
        {stuck && button('skip', 'Skip a step')}
        {stuck && button('resolve', 'Resolve')}
        {abortable && button('abort', 'Abort')}
      </div>

      {noteOnly && (
        <ActionDialog
          title={noteOnly.title}
          description={noteOnly.description}
          confirmLabel={noteOnly.confirm}
          onClose={close}
          onConfirm={(note) => noteOnly.run(transaction.id, note).then(done(noteOnly.done))}
        />
      )}
      {open === 'retry-input' && <RetryWithInput transaction={transaction} onClose={close} onDone={done('Retried with the new input: the transaction is {status}.')} />}
      {open === 'skip' && <SkipStep transaction={transaction} onClose={close} onDone={done('Step skipped: the transaction is {status}.')} />}
    </section>
  );
}

interface DialogProps {
  transaction: TransactionView;
  onClose: () => void;
  onDone: (next: TransactionView) => void;
}

function RetryWithInput({ transaction, onClose, onDone }: DialogProps) {
  const [text, setText] = useState(JSON.stringify(transaction.input ?? {}, null, 2));
  return (
    <ActionDialog
      title="Retry with new input"
      description="Replaces the transaction's input from now on: steps that have not succeeded render their input from it; steps that succeeded keep what they were sent."
      confirmLabel="Retry with this input"
      onClose={onClose}
      onConfirm={async (note) => {
        const input = parseJsonField(text, 'The input', { objectOnly: true });
        onDone(await accord.retry(transaction.id, { note, input }));
      }}
    >
      <label for="retry-input">New input (JSON object)</label>
      <textarea id="retry-input" class="mono" rows={8} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} />
    </ActionDialog>
  );
}

function SkipStep({ transaction, onClose, onDone }: DialogProps) {
  const candidates = transaction.steps.filter((s) => s.status === 'STUCK');
  const choices: StepView[] = candidates.length > 0 ? candidates : transaction.steps;
  const [step, setStep] = useState(choices[0]?.name ?? '');
  const [output, setOutput] = useState('{}');
  const chosen = choices.find((s) => s.name === step);
  const forward = chosen?.phase !== null && chosen?.phase !== undefined && FORWARD_PHASES.has(chosen.phase);
  return (
    <ActionDialog
      title="Skip a step"
      description={
        forward
          ? 'Closes the stuck call by hand: the step counts as succeeded with the output below, and the transaction goes on.'
          : 'Closes the stuck call by hand: the step counts as done (compensated, confirmed or cancelled), and the rest goes on.'
      }
      confirmLabel="Skip step"
      onClose={onClose}
      onConfirm={async (note) => {
        const body = forward ? { step, note, output: parseJsonField(output, 'The output') } : { step, note };
        onDone(await accord.skip(transaction.id, body));
      }}
    >
      <label for="skip-step">Step</label>
      <select id="skip-step" value={step} onChange={(e) => setStep(e.currentTarget.value)}>
        {choices.map((s) => (
          <option key={s.name} value={s.name}>
            {s.name} ({s.status}, {s.phase ?? 'not called'})
          </option>
        ))}
      </select>
      {forward && (
        <>
          <label for="skip-output">Output (JSON)</label>
          <textarea id="skip-output" class="mono" rows={6} spellcheck={false} value={output} onInput={(e) => setOutput(e.currentTarget.value)} />
        </>
      )}
    </ActionDialog>
  );
}
