import type { ApiKeyView } from '@accord/contracts';
import type { ApiKeyRecord } from '@accord/persistence';

export function presentApiKey(r: ApiKeyRecord): ApiKeyView {
  return { id: r.id, name: r.name, scopes: r.scopes, createdAt: r.createdAt };
}
