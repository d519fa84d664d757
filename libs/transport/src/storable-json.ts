/** Deeper answers are cut here: a step output is meant to be a small document. */
export const MAX_OUTPUT_DEPTH = 64;

// NUL is exactly what jsonb refuses, so the pattern must name it.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A participant's answer as Postgres jsonb can store it: NUL characters and
 * unpaired surrogates become U+FFFD, and anything nested deeper than
 * MAX_OUTPUT_DEPTH becomes the string "[truncated]". Without this one odd
 * answer would fail every write of its transaction's state.
 */
export function toStorableJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\ufffd');
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_OUTPUT_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => toStorableJson(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.replace(UNSTORABLE, '\ufffd'), toStorableJson(item, depth + 1)]),
  );
}
