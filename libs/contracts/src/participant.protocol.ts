/** What the coordinator sends to a participant, and how it signs it. */

export const PHASES = ['action', 'compensation', 'try', 'confirm', 'cancel'] as const;
export type Phase = (typeof PHASES)[number];

export interface ParticipantCall {
  transactionId: string;
  step: string;
  phase: Phase;
  attempt: number;
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
} as const;

/** The same for every attempt of one phase of one step, so a participant can
 * deduplicate retries and crash replays. */
export function idempotencyKeyFor(transactionId: string, step: string, phase: Phase): string {
  return `${transactionId}:${step}:${phase}`;
}

/** The string that is HMAC-ed: `<unix seconds>.<raw body>`. */
export function signaturePayload(timestampSeconds: number, rawBody: string): string {
  return `${timestampSeconds}.${rawBody}`;
}

export function formatSignatureHeader(timestampSeconds: number, hexDigest: string): string {
  return `t=${timestampSeconds},v1=${hexDigest}`;
}

export function parseSignatureHeader(header: string): { t: number; v1: string } | null {
  const parts = Object.fromEntries(
    header.split(',').map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv.trim(), ''] : [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  if (!Number.isInteger(t) || typeof parts.v1 !== 'string' || !/^[0-9a-f]{64}$/.test(parts.v1)) return null;
  return { t, v1: parts.v1 };
}

/** The headers of a call to a participant, but its signature. */
export function participantCallHeaders(call: ParticipantCall, traceparent: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...extra,
    'content-type': 'application/json',
    [HEADERS.idempotencyKey]: idempotencyKeyFor(call.transactionId, call.step, call.phase),
    [HEADERS.transaction]: call.transactionId,
    [HEADERS.step]: call.step,
    [HEADERS.phase]: call.phase,
    [HEADERS.attempt]: String(call.attempt),
    [HEADERS.traceparent]: traceparent,
  };
}
