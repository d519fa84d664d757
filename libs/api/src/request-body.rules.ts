import { findUnstorable } from '@accord/persistence';

export interface RefusedPart {
  path: string;
  message: string;
}

/** The first part of a parsed request body the API refuses, if any: what
 * Postgres cannot store, and the keys through which JavaScript that merges
 * the document into an object reaches a prototype (`__proto__`, and
 * `prototype` inside `constructor`) — fastify's own JSON parser refuses
 * them too. Schemas would drop a `__proto__` key silently (zod does), so a
 * body holding one could never be stored as it was sent. */
export function refusedBodyPart(body: unknown): RefusedPart | null {
  return findUnstorable(body) ?? findPrototypeKey(body);
}

/** Iterative; the document's depth is already bounded by findUnstorable. */
function findPrototypeKey(root: unknown): RefusedPart | null {
  const todo: Array<{ value: unknown; path: string }> = [{ value: root, path: '' }];
  while (todo.length > 0) {
    const { value, path } = todo.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      value.forEach((item, i) => todo.push({ value: item, path: `${path}[${i}]` }));
      continue;
    }
    const entries: [string, unknown][] = Object.entries(value);
    for (const [key, item] of entries) {
      const child = path === '' ? key : `${path}.${key}`;
      if (key === '__proto__') return { path, message: 'the key "__proto__" is not accepted' };
      if (key === 'constructor' && item !== null && typeof item === 'object' && Object.hasOwn(item, 'prototype')) {
        return { path: child, message: 'the key "prototype" inside "constructor" is not accepted' };
      }
      todo.push({ value: item, path: child });
    }
  }
  return null;
}
