/** `X-Accord-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`:
 * the coordinator signs with it, participants verify it. */
import { createHmac } from 'node:crypto';

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

/** The `X-Accord-Signature` value of `rawBody`, signed at `nowMs`. */
export function signBody(secret: string, rawBody: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  const digest = createHmac('sha256', secret).update(signaturePayload(t, rawBody)).digest('hex');
  return formatSignatureHeader(t, digest);
}
