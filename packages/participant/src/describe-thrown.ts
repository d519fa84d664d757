/** What a business function or the barrier threw, as a log line shows it:
 * an Error as `Name: message`, another object as JSON rather than
 * `[object Object]`, a primitive as itself. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error || typeof thrown !== 'object' || thrown === null) return String(thrown);
  try {
    return JSON.stringify(thrown);
  } catch {
    return Object.prototype.toString.call(thrown); // cyclic, or holds a BigInt
  }
}
