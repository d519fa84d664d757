/** What the coordinator sends to a participant, and how it signs it. */
import type { TraceContext } from './telemetry';

export const PHASES = ['action', 'compensation', 'try', 'confirm', 'cancel'] as const;
export type Phase = (typeof PHASES)[number];

/** One call of one step: the four facts that name it, the same from the
 * state machine's command through the job, the claim and the attempt log to
 * the participant. */
export interface CallRef {
  transactionId: string;
  step: string;
  phase: Phase;
  /** 1, 2, … within the phase; grows monotonically across retries. */
  attempt: number;
}

/** The body of a call to a participant. */
export interface ParticipantCall extends CallRef {
  input: unknown;
}

export const HEADERS = {
  idempotencyKey: 'idempotency-key',
  transaction: 'x-accord-transaction',
  step: 'x-accord-step',
  phase: 'x-accord-phase',
  attempt: 'x-accord-attempt',
  signature: 'x-accord-signature',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
} as const;

/** Every protocol header of a call starts with this, and a definition may
 * set none of them: the participant must see them as the coordinator wrote them. */
export const ACCORD_HEADER_PREFIX = 'x-accord-';

/** Headers a definition's endpoint may not set (lower case), besides
 * {@link ACCORD_HEADER_PREFIX}: the protocol's own, the framing of the body
 * the coordinator writes, and the hop-by-hop headers of one connection
 * (RFC 9110 §7.6.1), which undici manages itself or refuses (`expect` too). */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set<string>([
  ...Object.values(HEADERS),
  'content-type',
  'content-length',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

/** Whether `name`, in any case, is a header only the coordinator sets. */
export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith(ACCORD_HEADER_PREFIX) || RESERVED_HEADERS.has(lower);
}

/** An endpoint's own headers without the reserved ones, in any case: what
 * a call (or a probe of one) may send of them next to its own. */
export function unreservedHeaders(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isReservedHeader(name)));
}

/** The same for every attempt of one phase of one step, so a participant can
 * deduplicate retries and crash replays. */
export function idempotencyKeyFor(transactionId: string, step: string, phase: Phase): string {
  return `${transactionId}:${step}:${phase}`;
}

/** The headers of a call to a participant, but its signature. `extra` (an
 * endpoint's own headers) never replaces or doubles a reserved one, in any
 * case: a definition stored before those were refused may still hold one. */
export function participantCallHeaders(call: ParticipantCall, trace: TraceContext, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = {
    ...unreservedHeaders(extra),
    'content-type': 'application/json',
    [HEADERS.idempotencyKey]: idempotencyKeyFor(call.transactionId, call.step, call.phase),
    [HEADERS.transaction]: call.transactionId,
    [HEADERS.step]: call.step,
    [HEADERS.phase]: call.phase,
    [HEADERS.attempt]: String(call.attempt),
    [HEADERS.traceparent]: trace.traceparent,
  };
  if (trace.tracestate) headers[HEADERS.tracestate] = trace.tracestate;
  return headers;
}
