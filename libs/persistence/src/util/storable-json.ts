/**
 * What Postgres can store: jsonb refuses U+0000 and unpaired surrogates in
 * strings and keys, and very deep documents are costly to hash, validate and
 * store with recursive code. Requests that break these rules are refused
 * (findUnstorable); participant answers, which we cannot refuse, are stored
 * in a storable form (toStorableJson).
 */
export const MAX_JSON_DEPTH = 128;

// NUL is exactly what jsonb refuses, so the pattern must name it.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function unstorableText(text: string): boolean {
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(text);
}

/** The first part of a parsed document that could not be stored, if any.
 * Iterative, so a deep document cannot overflow the stack here. */
export function findUnstorable(root: unknown): { path: string; message: string } | null {
  const todo: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: '', depth: 0 }];
  while (todo.length > 0) {
    const { value, path, depth } = todo.pop()!;
    if (typeof value === 'string') {
      if (unstorableText(value)) return { path, message: 'strings must not contain U+0000 or unpaired surrogates' };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH) return { path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    if (Array.isArray(value)) {
      value.forEach((item, i) => todo.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const child = path === '' ? key : `${path}.${key}`;
      if (unstorableText(key)) return { path: child, message: 'keys must not contain U+0000 or unpaired surrogates' };
      todo.push({ value: item, path: child, depth: depth + 1 });
    }
  }
  return null;
}

/** The value with U+0000 and unpaired surrogates replaced by U+FFFD and
 * anything nested deeper than MAX_JSON_DEPTH replaced by "[truncated]". */
export function toStorableJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\ufffd');
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => toStorableJson(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key.replace(UNSTORABLE, '\ufffd'), toStorableJson(item, depth + 1)]),
  );
}
