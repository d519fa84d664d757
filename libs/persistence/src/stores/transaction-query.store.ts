import { sqlStatusList, TRANSACTION_STATUSES, type TransactionStatus, type TransactionType } from '@accord/contracts';
import type { DataSource } from 'typeorm';

/** What operators narrow transactions down by; every field is optional. */
export interface TransactionFilter {
  status?: TransactionStatus;
  definition?: string;
  /** Created at or after this instant (ISO 8601). */
  from?: string;
  /** Created before this instant (ISO 8601). */
  to?: string;
  /** The id's first hex digits (1–32, lower case, no dashes): a whole id matches itself. */
  idPrefix?: string;
  /** The idempotency key the transaction was started with. */
  idempotencyKey?: string;
}

export interface ListFilter extends TransactionFilter {
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

/** Read side for operators: lists, pages and counts, newest first. */
export class TransactionQueryStore {
  constructor(private readonly db: DataSource) {}

  async list(filter: ListFilter): Promise<TransactionListRow[]> {
    const { where, params } = conditions(filter);
    if (filter.after) {
      where.push(`(created_at, id) < ($${params.push(filter.after.createdAt)}::timestamptz, $${params.push(filter.after.id)}::uuid)`);
    }
    const rows = await this.db.query<Record<string, unknown>[]>(
      `SELECT id, definition_name, definition_version, type, status, created_at, updated_at,
         to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
       FROM transactions ${whereClause(where)}
       ORDER BY created_at DESC, id DESC LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows.map((r) => ({
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

  /** How many transactions match `filter`, for every status, each counted up
   * to `limit` (a count of `limit`: at least that many). One count a status,
   * its status a constant, so the planner sees which are rare (STUCK) and
   * which hold millions (COMPLETED), and no count reads more than `limit` of
   * its status's rows. */
  async countsByStatus(filter: Omit<TransactionFilter, 'status'>, limit: number): Promise<Map<TransactionStatus, number>> {
    const { where, params } = conditions(filter);
    const limitParam = `$${params.push(limit)}`;
    const counts = TRANSACTION_STATUSES.map((status) => {
      const only = sqlStatusList([status]);
      return `SELECT ${only} AS status,
        (SELECT count(*)::int FROM (SELECT 1 FROM transactions ${whereClause([`status IN ${only}`, ...where])} LIMIT ${limitParam}) x) AS n`;
    });
    const rows = await this.db.query<{ status: TransactionStatus; n: number }[]>(counts.join('\nUNION ALL\n'), params);
    return new Map(rows.map((r) => [r.status, r.n]));
  }

  async countByStatus(status: TransactionStatus): Promise<number> {
    const rows = await this.db.query<[{ n: number }]>('SELECT count(*)::int AS n FROM transactions WHERE status = $1', [status]);
    return rows[0].n;
  }

  async idsByStatus(status: TransactionStatus, definition: string | undefined, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT id FROM transactions WHERE status = $1 AND ($2::text IS NULL OR definition_name = $2)
       ORDER BY created_at LIMIT $3`,
      [status, definition ?? null, limit],
    );
    return rows.map((r) => r.id);
  }
}

/** The filter as SQL conditions on `transactions`, each one an index can serve. */
function conditions(filter: TransactionFilter): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.status) where.push(`status = $${params.push(filter.status)}`);
  if (filter.definition) where.push(`definition_name = $${params.push(filter.definition)}`);
  if (filter.from) where.push(`created_at >= $${params.push(filter.from)}::timestamptz`);
  if (filter.to) where.push(`created_at < $${params.push(filter.to)}::timestamptz`);
  if (filter.idPrefix) {
    // A prefix is a range of uuids (they sort by their hex digits), so the
    // primary key answers it: no scan of id::text.
    const { low, high } = uuidRange(filter.idPrefix);
    where.push(`id BETWEEN $${params.push(low)}::uuid AND $${params.push(high)}::uuid`);
  }
  if (filter.idempotencyKey) {
    where.push(`id IN (SELECT transaction_id FROM idempotency_keys WHERE key = $${params.push(filter.idempotencyKey)})`);
  }
  return { where, params };
}

const whereClause = (where: string[]) => (where.length ? `WHERE ${where.join(' AND ')}` : '');

function uuidRange(prefix: string): { low: string; high: string } {
  const format = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { low: format(prefix.padEnd(32, '0')), high: format(prefix.padEnd(32, 'f')) };
}
