import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ErrorNotice } from './error-notice';

export interface ActionDialogProps {
  title: string;
  /** What the action will do, in a sentence or two. */
  description: string;
  confirmLabel: string;
  /** Runs the action with the operator's note; a rejection is shown in the dialog. */
  onConfirm: (note: string) => Promise<void>;
  onClose: () => void;
  /** Further fields (inside the form, above the note). */
  children?: ComponentChildren;
}

/**
 * A modal confirmation (a real <dialog>: focus moves into it, Escape closes
 * it) that asks for the note the audit log keeps with the action.
 */
export function ActionDialog({ title, description, confirmLabel, onConfirm, onClose, children }: ActionDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const id = useId();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm(note.trim());
      dialog.current?.close();
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="dialog" aria-labelledby={`${id}-title`} aria-describedby={`${id}-description`} onClose={onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <h2 id={`${id}-title`}>{title}</h2>
        <p id={`${id}-description`}>{description}</p>
        {children}
        <label for={`${id}-note`}>Note</label>
        <textarea
          id={`${id}-note`}
          required
          rows={3}
          maxLength={4096}
          placeholder="Why, and the ticket"
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
        <ErrorNotice error={error} />
        <div class="dialog-buttons">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** A JSON field of a dialog; `parse` returns its value or throws with a message to show. */
export function parseJsonField(text: string, what: string, { objectOnly = false } = {}): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not JSON: ${(error as Error).message}`);
  }
  if (objectOnly && (typeof value !== 'object' || value === null || Array.isArray(value))) throw new Error(`${what} must be a JSON object`);
  return value;
}
