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

  async list(limit: number, beforeId?: string): Promise<Record<string, unknown>[]> {
    return this.db.query(
      `SELECT id, actor, action, target, note, details, at FROM audit WHERE ($1::bigint IS NULL OR id < $1)
       ORDER BY id DESC LIMIT $2`,
      [beforeId ?? null, limit],
    );
  }
}
