import { randomBytes } from 'node:crypto';
import type { Scope } from '@accord/contracts';
import type { ApiKeyRecord, ApiKeyStore } from '@accord/persistence';
import { EngineError } from './engine.error';

/** Every key starts with this, so a leaked one is recognisable (secret
 * scanners, a key pasted where it does not belong). */
export const API_KEY_PREFIX = 'accord_';

/** `accord_` and 256 random bits in base64url. */
export const API_KEY_PATTERN = /^accord_[A-Za-z0-9_-]{43}$/;

/** Operators create and revoke scoped API keys; each is audited with its actor. */
export class ManageApiKeys {
  constructor(private readonly keys: ApiKeyStore) {}

  /** The key itself is in this answer only: it is stored as a hash. */
  async create(name: string, scopes: Scope[], actor: string): Promise<{ record: ApiKeyRecord; key: string }> {
    const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record = await this.keys.create({ name, scopes, token: key }, actor);
    if (!record) throw new EngineError('API_KEY_NAME_TAKEN', `an API key named "${name}" is already in use`);
    return { record, key };
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.keys.list();
  }

  async revoke(id: string, actor: string): Promise<void> {
    if (!(await this.keys.revoke(id, actor))) throw new EngineError('API_KEY_NOT_FOUND', `no API key ${id}`);
  }
}
