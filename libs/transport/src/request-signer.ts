import { createHmac } from 'node:crypto';
import { formatSignatureHeader, signaturePayload } from '@accord/contracts';

/** `X-Accord-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` */
export function signBody(secret: string, rawBody: string, nowMs: number): string {
  const t = Math.floor(nowMs / 1000);
  const digest = createHmac('sha256', secret).update(signaturePayload(t, rawBody)).digest('hex');
  return formatSignatureHeader(t, digest);
}
