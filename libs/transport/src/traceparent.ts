import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The caller's traceparent if it is valid W3C, else a new root. */
export function adoptTraceparent(header: string | undefined | null): string {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (match && !/^0+$/.test(match[1]) && !/^0+$/.test(match[2])) return header!.trim();
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** A child of `parent`: same trace id, new span id, so every participant call
 * of a transaction lands in the trace that started it. */
export function childTraceparent(parent: string): string {
  const match = TRACEPARENT.exec(parent);
  const traceId = match ? match[1] : randomBytes(16).toString('hex');
  const flags = match ? match[3] : '01';
  return `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
}
