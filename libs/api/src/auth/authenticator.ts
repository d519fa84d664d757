import { createHash, timingSafeEqual } from 'node:crypto';
import { SCOPES, type Principal } from './scopes';

export interface AuthSettings {
  /** Unset: auth is off (development only). */
  adminToken?: string;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

/** Bearer tokens to principals. The bootstrap ADMIN_TOKEN carries every scope. */
export class Authenticator {
  private readonly adminDigest: Buffer | null;

  constructor(settings: AuthSettings) {
    this.adminDigest = settings.adminToken ? digest(settings.adminToken) : null;
  }

  /** The caller, or null when the credential is missing or wrong. */
  authenticate(authorization: string | undefined): Principal | null {
    if (!this.adminDigest) return { actor: 'anonymous', scopes: SCOPES };
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match || !timingSafeEqual(digest(match[1]), this.adminDigest)) return null;
    return { actor: 'admin-token', scopes: SCOPES };
  }
}
