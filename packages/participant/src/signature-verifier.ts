import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseSignatureHeader, signaturePayload } from '@accord/contracts';

export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'mismatch' };

export interface SignatureInput {
  secret: string;
  /** The `X-Accord-Signature` header. */
  header: string | string[] | undefined;
  /** The body exactly as received, before any parsing. */
  rawBody: string;
  nowMs?: number;
  /** How far the signature's timestamp may be from now. A replay older than
   * this is refused; a replay inside it is a duplicate the barrier absorbs. */
  toleranceSeconds?: number;
}

/** Checks `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function verifySignature(input: SignatureInput): SignatureCheck {
  const header = Array.isArray(input.header) ? input.header[0] : input.header;
  if (!header) return { ok: false, reason: 'missing' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };
  const now = Math.floor((input.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - parsed.t) > (input.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) {
    return { ok: false, reason: 'expired' };
  }
  const expected = createHmac('sha256', input.secret).update(signaturePayload(parsed.t, input.rawBody)).digest();
  const given = Buffer.from(parsed.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
