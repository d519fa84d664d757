import { createHash, timingSafeEqual } from 'node:crypto';
import { API_KEY_PATTERN } from '@accord/engine';
import type { ApiKeyStore } from '@accord/persistence';
import { SCOPES } from '@accord/contracts';
import { effectiveScopes, type Principal } from './scopes';

export interface AuthSettings {
  /** Unset: auth is off (development only). */
  adminToken?: string;
}

const digest = (token: string) => createHash('sha256').update(token).digest();

const ANONYMOUS: Principal = { actor: 'anonymous', credential: 'anonymous', scopes: SCOPES };
const ADMIN_TOKEN: Principal = { actor: 'admin-token', credential: 'admin-token', scopes: SCOPES };

/** Bearer tokens to principals: the bootstrap ADMIN_TOKEN carries every
 * scope, an API key the scopes it was created with. */
export class Authenticator {
  private readonly adminDigest: Buffer | null;

  constructor(
    settings: AuthSettings,
    private readonly keys: Pick<ApiKeyStore, 'findByToken'>,
  ) {
    this.adminDigest = settings.adminToken ? digest(settings.adminToken) : null;
  }

  /** The caller, or null when the credential is missing or wrong. Rejects
   * only when a key must be looked up and Postgres cannot answer. */
  async authenticate(authorization: string | undefined): Promise<Principal | null> {
    if (!this.adminDigest) return ANONYMOUS;
    const token = bearerToken(authorization);
    if (token === null) return null;
    if (timingSafeEqual(digest(token), this.adminDigest)) return ADMIN_TOKEN;
    // Anything that cannot be a key is refused without a database read.
    if (!API_KEY_PATTERN.test(token)) return null;
    const key = await this.keys.findByToken(token);
    return key ? { actor: key.name, credential: key.id, scopes: effectiveScopes(key.scopes) } : null;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1] ?? null;
}
