/** JSON as it is, labelled; focusable so a keyboard can scroll a long one. */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" role="group" aria-label={label} tabIndex={0}>
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </pre>
  );
}
