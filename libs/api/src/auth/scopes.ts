import { SetMetadata } from '@nestjs/common';

export const SCOPES = ['transactions:write', 'transactions:read', 'definitions:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPE_KEY = 'accord:scope';
export const PUBLIC_KEY = 'accord:public';

/** The scope a route needs. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);
/** Routes outside `/v1` that need no credential. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export interface Principal {
  actor: string;
  scopes: readonly Scope[];
}
