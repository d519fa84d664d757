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

/** The same for every attempt of one phase of one step, so a participant can
 * deduplicate retries and crash replays. */
export function idempotencyKeyFor(transactionId: string, step: string, phase: Phase): string {
  return `${transactionId}:${step}:${phase}`;
}

/** The headers of a call to a participant, but its signature. */
export function participantCallHeaders(call: ParticipantCall, trace: TraceContext, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = {
    ...extra,
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
