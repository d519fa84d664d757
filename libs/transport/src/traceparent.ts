import { randomFillSync } from 'node:crypto';

/** Random hex ids come from one pooled buffer, refilled when used up:
 * randomBytes per id costs a call into the CSPRNG each time (the hot path
 * makes one per participant call). */
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

function randomHex(bytes: number): string {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const hex = POOL.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The caller's traceparent if it is valid W3C, else a new root. */
export function adoptTraceparent(header: string | undefined | null): string {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (match && !/^0+$/.test(match[1]) && !/^0+$/.test(match[2])) return header!.trim();
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/** A child of `parent`: same trace id, new span id, so every participant call
 * of a transaction lands in the trace that started it. */
export function childTraceparent(parent: string): string {
  const match = TRACEPARENT.exec(parent);
  const traceId = match ? match[1] : randomHex(16);
  const flags = match ? match[3] : '01';
  return `00-${traceId}-${randomHex(8)}-${flags}`;
}
