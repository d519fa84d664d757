import { createHash, timingSafeEqual } from 'node:crypto';
import type { Scope } from '@accord/contracts';
import type { DataSource } from 'typeorm';
import { preparedQuery } from '../util/prepared-query';
import type { ChannelSubscriber } from './pg-notifications';

/** An API key as every view shows it: no key material. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
}

/** A revocation announces the key's id on this channel (at commit), so every
 * replica forgets it at once. */
export const API_KEYS_NOTIFY_CHANNEL = 'accord_api_keys';

/** How long a looked-up key is trusted without asking Postgres again: the
 * bound on how late a revocation takes effect on a replica whose LISTEN
 * missed the NOTIFY. */
export const API_KEY_CACHE_TTL_MS = 1000;

/** Looked-up tokens kept (unknown ones too, so a client repeating a wrong
 * token does not cost a read per request); emptied when it grows past this. */
const MAX_CACHED = 10_000;

const UNIQUE_VIOLATION = '23505';
const COLUMNS = 'id, name, scopes, created_at';

/** Keys are random 256-bit tokens: SHA-256 is all the hashing they need (a
 * slow hash protects guessable passwords, not these). */
export function apiKeyDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * API keys, stored as the SHA-256 of the token. Creating and revoking write
 * the audit row in the same statement. Lookups are cached for at most
 * `API_KEY_CACHE_TTL_MS`, so a request does not cost a database read; a
 * revocation empties this replica's entry at once and the others' through
 * the NOTIFY (`cacheSubscriber`).
 */
export class ApiKeyStore {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();
  /** Bumped on every invalidation: a lookup that started before one must
   * not cache what it read. */
  private generation = 0;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: DataSource,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? API_KEY_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Null when an active key already has this name. */
  async create(key: { name: string; scopes: Scope[]; token: string }, actor: string): Promise<ApiKeyRecord | null> {
    try {
      const rows = await this.db.query<Record<string, unknown>[]>(
        `WITH k AS (
           INSERT INTO api_keys (id, name, token_hash, scopes) VALUES (gen_random_uuid(), $1, $2, $3::text[]) RETURNING ${COLUMNS}),
         a AS (
           INSERT INTO audit (actor, action, target, details)
           SELECT $4, 'api-key.create', k.id::text, jsonb_build_object('name', k.name, 'scopes', to_jsonb(k.scopes)) FROM k)
         SELECT * FROM k`,
        [key.name, apiKeyDigest(key.token).toString('hex'), key.scopes, actor],
      );
      return map(rows[0]);
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
      throw error;
    }
  }

  /** Keys in use (not revoked), oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.query<Record<string, unknown>[]>(`SELECT ${COLUMNS} FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id`);
    return rows.map(map);
  }

  /** Null when there is no such key in use. */
  async revoke(id: string, actor: string): Promise<ApiKeyRecord | null> {
    const rows = await this.db.query<Record<string, unknown>[]>(
      `WITH k AS (
         UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}),
       a AS (
         INSERT INTO audit (actor, action, target, details)
         SELECT $2, 'api-key.revoke', k.id::text, jsonb_build_object('name', k.name, 'scopes', to_jsonb(k.scopes)) FROM k)
       SELECT k.*, pg_notify('${API_KEYS_NOTIFY_CHANNEL}', k.id::text) AS notified FROM k`,
      [id, actor],
    );
    this.invalidate(id);
    return rows.length === 0 ? null : map(rows[0]);
  }

  /** The key in use whose token this is, or null. */
  async findByToken(token: string): Promise<ApiKeyRecord | null> {
    const digest = apiKeyDigest(token);
    const hex = digest.toString('hex');
    const now = this.now();
    const cached = this.cache.get(hex);
    if (cached && cached.until > now) return cached.record;
    const generation = this.generation;
    const rows = await preparedQuery(
      this.db,
      'api_key_by_hash',
      `SELECT ${COLUMNS}, token_hash FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL`,
      [hex],
    );
    // The index lookup compares hashes; the constant-time comparison makes
    // the match itself not depend on how many bytes agree.
    const row = rows[0];
    const record = row && timingSafeEqual(Buffer.from(row.token_hash as string, 'hex'), digest) ? map(row) : null;
    if (generation === this.generation) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(hex, { record, until: now + this.ttlMs });
    }
    return record;
  }

  /** Forgets the cached lookups of key `id` (of every key without one). */
  invalidate(id?: string): void {
    this.generation++;
    if (id === undefined) return this.cache.clear();
    for (const [hash, entry] of this.cache) if (entry.record?.id === id) this.cache.delete(hash);
  }

  /** Hears revocations of every replica through PgNotifications; after the
   * LISTEN was down, everything cached is forgotten (revocations may have
   * been missed; the TTL covered the gap). */
  cacheSubscriber(): ChannelSubscriber {
    return {
      channel: API_KEYS_NOTIFY_CHANNEL,
      onNotify: (id) => this.invalidate(id || undefined),
      onListening: () => this.invalidate(),
    };
  }
}

function map(row: Record<string, unknown>): ApiKeyRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    scopes: row.scopes as Scope[], // stored only as validated
    createdAt: new Date(row.created_at as string).toISOString(),
  };
}
