import type { AuditEntry } from '@accord/contracts';

interface Snapshot {
  status?: string;
  input?: unknown;
}

/** What an audited action changed: the status before and after, and the
 * input when a retry replaced it; for actions on API keys, their details. */
export function AuditChange({ entry }: { entry: AuditEntry }) {
  const before = (entry.before ?? {}) as Snapshot;
  const after = (entry.after ?? {}) as Snapshot;
  if (before.status === undefined && after.status === undefined) {
    return entry.details ? <code>{JSON.stringify(entry.details)}</code> : <>—</>;
  }
  return (
    <>
      {before.status ?? '?'} → {after.status ?? '?'}
      {'input' in after && (
        <details class="audit-input">
          <summary>input replaced</summary>
          <code>{JSON.stringify(before.input)}</code> → <code>{JSON.stringify(after.input)}</code>
        </details>
      )}
    </>
  );
}
