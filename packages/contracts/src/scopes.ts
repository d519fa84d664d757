/** What an API credential may do (contract: Credentials); `admin` implies the others. */
export const SCOPES = ['transactions:write', 'transactions:read', 'definitions:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];
