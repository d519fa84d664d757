import type { DataSource } from 'typeorm';

export interface AuditEntry {
  actor: string;
  action: string;
  target: string | null;
  note: string | null;
  details?: unknown;
}

export class AuditStore {
  constructor(private readonly db: DataSource) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.query('INSERT INTO audit (actor, action, target, note, details) VALUES ($1, $2, $3, $4, $5::jsonb)', [
      entry.actor, entry.action, entry.target, entry.note, JSON.stringify(entry.details ?? null),
    ]);
  }

  /** Newest first; `target`: one transaction's (or API key's) entries only. */
  async list(limit: number, beforeId?: string, target?: string): Promise<Record<string, unknown>[]> {
    return this.db.query(
      `SELECT id, actor, action, target, note, details, at FROM audit
       WHERE ($1::bigint IS NULL OR id < $1) AND ($3::text IS NULL OR target = $3)
       ORDER BY id DESC LIMIT $2`,
      [beforeId ?? null, limit, target ?? null],
    );
  }
}
