import { randomFillSync } from 'node:crypto';
import type { TraceContext } from '@accord/contracts';

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

/** W3C caps tracestate at 32 entries; 512 characters is what a carrier must
 * at least keep. Its characters are printable ASCII. */
const MAX_TRACESTATE = 512;
const TRACESTATE = /^[\x20-\x7e]+$/;

/** The caller's trace context if its traceparent is valid W3C (with its
 * tracestate), else a new root without state. */
export function adoptTraceContext(traceparent: string | undefined | null, tracestate?: string | null): TraceContext {
  const header = traceparent?.trim();
  const match = header ? TRACEPARENT.exec(header) : null;
  if (match && !/^0+$/.test(match[1]) && !/^0+$/.test(match[2])) {
    const state = tracestate?.trim();
    return { traceparent: header!, tracestate: state && state.length <= MAX_TRACESTATE && TRACESTATE.test(state) ? state : null };
  }
  return { traceparent: `00-${randomHex(16)}-${randomHex(8)}-01`, tracestate: null };
}

/** A child of `parent`: same trace id, new span id, so every participant call
 * of a transaction lands in the trace that started it. */
export function childTraceContext(parent: TraceContext | null): TraceContext {
  const match = parent ? TRACEPARENT.exec(parent.traceparent) : null;
  const traceId = match ? match[1] : randomHex(16);
  const flags = match ? match[3] : '01';
  return { traceparent: `00-${traceId}-${randomHex(8)}-${flags}`, tracestate: match ? parent!.tracestate : null };
}
