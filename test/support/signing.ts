/** Signs participant calls the way the coordinator does, for tests that play the coordinator. */
import { createHmac } from 'node:crypto';
import { formatSignatureHeader, signaturePayload } from '@accord/contracts';

/** The signature header for `rawBody`, signed with `secret` at `atSeconds` (now by default). */
export function signBody(rawBody: string, secret: string, atSeconds = Math.floor(Date.now() / 1000)): string {
  const digest = createHmac('sha256', secret).update(signaturePayload(atSeconds, rawBody)).digest('hex');
  return formatSignatureHeader(atSeconds, digest);
}
