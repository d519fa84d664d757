import type { TransactionStatus, TransactionType } from '@accord/contracts';
import type { DataSource } from 'typeorm';

export interface ListFilter {
  status?: TransactionStatus;
  definition?: string;
  limit: number;
  after?: { createdAt: string; id: string };
}

/** One row of the operators' list, before it is presented. */
export interface TransactionListRow {
  id: string;
  definitionName: string | null;
  definitionVersion: number | null;
  type: TransactionType;
  status: TransactionStatus;
  createdAt: string;
  updatedAt: string;
  /** `created_at` with its microseconds, for the page cursor: milliseconds
   * alone would skip rows created within the same millisecond. */
  cursorAt: string;
}

/** Read side for operators: lists and pages, newest first. */
export class TransactionQueryStore {
  constructor(private readonly db: DataSource) {}

  async list(filter: ListFilter): Promise<TransactionListRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.status) where.push(`status = $${params.push(filter.status)}`);
    if (filter.definition) where.push(`definition_name = $${params.push(filter.definition)}`);
    if (filter.after) {
      where.push(`(created_at, id) < ($${params.push(filter.after.createdAt)}::timestamptz, $${params.push(filter.after.id)}::uuid)`);
    }
    const rows = await this.db.query(
      `SELECT id, definition_name, definition_version, type, status, created_at, updated_at,
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
       FROM transactions
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows.map((r: Record<string, unknown>) => ({
      id: r.id as string,
      definitionName: r.definition_name as string | null,
      definitionVersion: r.definition_version as number | null,
      type: r.type as TransactionType,
      status: r.status as TransactionStatus,
      createdAt: new Date(r.created_at as string).toISOString(),
      updatedAt: new Date(r.updated_at as string).toISOString(),
      cursorAt: r.cursor_at as string,
    }));
  }

  async countByStatus(status: TransactionStatus): Promise<number> {
    const rows = await this.db.query('SELECT count(*)::int AS n FROM transactions WHERE status = $1', [status]);
    return rows[0].n;
  }

  async idsByStatus(status: TransactionStatus, definition: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.db.query(
      `SELECT id FROM transactions WHERE status = $1 AND ($2::text IS NULL OR definition_name = $2)
       ORDER BY created_at LIMIT $3`,
      [status, definition ?? null, limit],
    );
    return rows.map((r: { id: string }) => r.id);
  }
}
