import type { DataSource } from 'typeorm';
import type { Spec, TransactionType } from '@accord/contracts';
import { preparedQuery } from '../util/prepared-query';
import type { ChannelSubscriber } from './pg-notifications';

export interface DefinitionRecord {
  name: string;
  version: number;
  type: TransactionType;
  body: Spec & { name: string };
  hash: string;
  createdAt: string;
}

const UNIQUE_VIOLATION = '23505';
const COLUMNS = 'name, version, type, body, hash, created_at';

/** Registering a version announces its name on this channel (at commit), so
 * every replica drops its cached "latest" of that name. */
export const DEFINITIONS_NOTIFY_CHANNEL = 'accord_definitions';

/**
 * Definitions, with two process-local caches on the start path:
 * - by name@version: registered versions are immutable, so kept for the life
 *   of the process;
 * - the latest version per name: only while something guarantees it is told
 *   about new versions (`enableLatestCache`, switched by its
 *   `cacheSubscriber` while the LISTEN connection is up). A registration
 *   on this replica invalidates it at once; one on another replica through
 *   the NOTIFY its INSERT sends. After a reconnect the cache starts empty,
 *   since notifications may have been missed.
 */
export class DefinitionStore {
  private readonly byVersion = new Map<string, DefinitionRecord>();
  private readonly latestByName = new Map<string, DefinitionRecord>();
  private latestCacheOn = false;
  /** Bumped on every invalidation: a read that started before one must not
   * store what it read. */
  private generation = 0;

  constructor(private readonly db: DataSource) {}

  /** Adds the next version of `name`, unless its latest version has the same
   * hash. Concurrent registrations of one name are serialised by retrying on
   * the (name, version) key. Reads the latest version from Postgres, never
   * from the cache. */
  async register(name: string, type: TransactionType, body: unknown, hash: string): Promise<{ record: DefinitionRecord; created: boolean }> {
    for (let tries = 0; ; tries++) {
      const latest = await this.readLatest(name);
      if (latest && latest.hash === hash) return { record: latest, created: false };
      try {
        const rows = await this.db.query<Record<string, unknown>[]>(
          `WITH d AS (INSERT INTO definitions (name, version, type, body, hash) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING ${COLUMNS})
           SELECT d.*, pg_notify('${DEFINITIONS_NOTIFY_CHANNEL}', d.name) AS notified FROM d`,
          [name, (latest?.version ?? 0) + 1, type, JSON.stringify(body), hash],
        );
        this.invalidate(name);
        const record = map(rows[0]);
        this.byVersion.set(key(record.name, record.version), record);
        return { record, created: true };
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION || tries >= 10) throw error;
      }
    }
  }

  async latest(name: string): Promise<DefinitionRecord | null> {
    if (this.latestCacheOn) {
      const cached = this.latestByName.get(name);
      if (cached) return cached;
    }
    const generation = this.generation;
    const record = await this.readLatest(name);
    if (record && this.latestCacheOn && generation === this.generation) this.latestByName.set(name, record);
    return record;
  }

  async get(name: string, version: number): Promise<DefinitionRecord | null> {
    const cached = this.byVersion.get(key(name, version));
    if (cached) return cached;
    const rows = await preparedQuery(this.db, 'definition_get', `SELECT ${COLUMNS} FROM definitions WHERE name = $1 AND version = $2`, [name, version]);
    if (rows.length === 0) return null;
    const record = map(rows[0]);
    this.byVersion.set(key(name, version), record);
    return record;
  }

  async listLatest(): Promise<DefinitionRecord[]> {
    const rows = await this.db.query<Record<string, unknown>[]>(
      `SELECT DISTINCT ON (name) ${COLUMNS} FROM definitions ORDER BY name, version DESC`,
    );
    return rows.map(map);
  }

  /** Versions of `name`, newest first: at most `limit`, older than `before` if given. */
  async versions(name: string, limit: number, before?: number): Promise<DefinitionRecord[]> {
    const rows = await this.db.query<Record<string, unknown>[]>(
      `SELECT ${COLUMNS} FROM definitions WHERE name = $1 AND ($2::int IS NULL OR version < $2)
       ORDER BY version DESC LIMIT $3`,
      [name, before ?? null, limit],
    );
    return rows.map(map);
  }

  /** Forgets the cached latest version of `name` (of every name without one). */
  invalidate(name?: string): void {
    this.generation++;
    if (name === undefined) this.latestByName.clear();
    else this.latestByName.delete(name);
  }

  /** On while a listener receives the registration NOTIFYs; switching it
   * (either way) empties the cache. */
  enableLatestCache(on: boolean): void {
    this.latestCacheOn = on;
    this.invalidate();
  }

  /** Keeps the latest-version cache honest through PgNotifications: on
   * while the LISTEN is up, and told of every registration. */
  cacheSubscriber(): ChannelSubscriber {
    return {
      channel: DEFINITIONS_NOTIFY_CHANNEL,
      onNotify: (name) => this.invalidate(name || undefined),
      onListening: () => this.enableLatestCache(true),
      onDeaf: () => this.enableLatestCache(false),
    };
  }

  private async readLatest(name: string): Promise<DefinitionRecord | null> {
    const rows = await preparedQuery(this.db, 
      'definition_latest',
      `SELECT ${COLUMNS} FROM definitions WHERE name = $1 ORDER BY version DESC LIMIT 1`,
      [name],
    );
    return rows.length === 0 ? null : map(rows[0]);
  }

}

const key = (name: string, version: number) => `${name}@${version}`;

function map(row: Record<string, unknown>): DefinitionRecord {
  return {
    name: row.name as string,
    version: row.version as number,
    type: row.type as TransactionType,
    body: row.body as DefinitionRecord['body'],
    hash: row.hash as string,
    createdAt: new Date(row.created_at as string).toISOString(),
  };
}
