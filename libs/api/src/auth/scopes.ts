import { SetMetadata } from '@nestjs/common';
import { SCOPES, type Scope } from '@accord/contracts';

export const SCOPE_KEY = 'accord:scope';
export const PUBLIC_KEY = 'accord:public';

/** The scope a route needs. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);
/** Routes outside `/v1` that need no credential. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface Principal {
  /** Who the audit log names: the API key's name, `admin-token` or `anonymous`. */
  actor: string;
  /** What the rate limit counts by: the key's id, `admin-token` or `anonymous`. */
  credential: string;
  /** Effective scopes (`admin` expanded to every scope). */
  scopes: readonly Scope[];
}

/** `admin` implies the others. */
export function effectiveScopes(scopes: readonly string[]): Scope[] {
  if (scopes.includes('admin')) return [...SCOPES];
  return SCOPES.filter((scope) => scopes.includes(scope));
}
