import type { DataSource } from 'typeorm';
import type { Spec, TransactionType } from '@accord/core';

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

export class DefinitionStore {
  constructor(private readonly db: DataSource) {}

  /** Adds the next version of `name`, unless its latest version has the same
   * hash. Concurrent registrations of one name are serialised by retrying on
   * the (name, version) key. */
  async register(name: string, type: TransactionType, body: unknown, hash: string): Promise<{ record: DefinitionRecord; created: boolean }> {
    for (let tries = 0; ; tries++) {
      const latest = await this.latest(name);
      if (latest && latest.hash === hash) return { record: latest, created: false };
      try {
        const rows = await this.db.query(
          `INSERT INTO definitions (name, version, type, body, hash) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING ${COLUMNS}`,
          [name, (latest?.version ?? 0) + 1, type, JSON.stringify(body), hash],
        );
        return { record: map(rows[0]), created: true };
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION || tries >= 10) throw error;
      }
    }
  }

  async latest(name: string): Promise<DefinitionRecord | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM definitions WHERE name = $1 ORDER BY version DESC LIMIT 1`, [name]);
    return rows.length === 0 ? null : map(rows[0]);
  }

  async get(name: string, version: number): Promise<DefinitionRecord | null> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM definitions WHERE name = $1 AND version = $2`, [name, version]);
    return rows.length === 0 ? null : map(rows[0]);
  }

  async listLatest(): Promise<DefinitionRecord[]> {
    const rows = await this.db.query(
      `SELECT DISTINCT ON (name) ${COLUMNS} FROM definitions ORDER BY name, version DESC`,
    );
    return rows.map(map);
  }
}

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
