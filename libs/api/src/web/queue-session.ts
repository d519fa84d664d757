import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** How long a queue-view session lasts: the console opens a new one on every
 * click, so it only has to outlive one look at the queues. */
export const QUEUE_SESSION_TTL_MS = 15 * 60_000;

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Queue-view sessions. A browser cannot send a bearer header when it
 * navigates, so the console trades the operator's token for a cookie: the
 * token and an expiry, sealed with AES-256-GCM under a key derived from
 * ADMIN_TOKEN (which every replica has, so any of them opens a session
 * another sealed). Opening one yields the token again, which is then
 * authenticated as if it came in the header: a revoked key stops working at
 * once, and a stolen cookie is good for this view, for minutes, and cannot
 * be turned back into the key without ADMIN_TOKEN.
 */
export class QueueSessions {
  private readonly key: Buffer;

  constructor(
    adminToken: string,
    private readonly ttlMs = QUEUE_SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', adminToken, 'accord', 'queue-view session', 32));
  }

  seal(token: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(JSON.stringify({ token, expiresAt: this.now() + this.ttlMs }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** The token inside, or null when the cookie was forged, altered, sealed
   * under another ADMIN_TOKEN or has expired. */
  open(cookie: string): string | null {
    const raw = Buffer.from(cookie, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      const { token, expiresAt } = JSON.parse(plain) as { token?: unknown; expiresAt?: unknown };
      return typeof token === 'string' && typeof expiresAt === 'number' && expiresAt > this.now() ? token : null;
    } catch {
      return null;
    }
  }
}
