import type { DataSource } from 'typeorm';
import { TERMINAL_STATUSES } from '@accord/contracts';

const TERMINAL = `(${TERMINAL_STATUSES.map((s) => `'${s}'`).join(', ')})`;

/** Deletes old finished transactions in batches, oldest first, with
 * everything that belongs to them. Safe on every replica (SKIP LOCKED).
 * Every deletion goes by index: an idempotency key by its transaction's
 * creation time and id (the statement that writes a transaction writes its
 * key, so both have the same `created_at`). */
export class RetentionStore {
  constructor(private readonly db: DataSource) {}

  /** One batch; returns how many transactions it deleted. */
  async purge(olderThanDays: number, batchSize: number): Promise<number> {
    const rows = await this.db.query<[{ n: number }]>(
      `WITH doomed AS (
         SELECT id, created_at FROM transactions
         WHERE finished_at IS NOT NULL AND finished_at < now() - make_interval(days => $1) AND status IN ${TERMINAL}
         ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       s AS (DELETE FROM steps WHERE transaction_id IN (SELECT id FROM doomed)),
       a AS (DELETE FROM attempts WHERE transaction_id IN (SELECT id FROM doomed)),
       k AS (DELETE FROM idempotency_keys WHERE (created_at, transaction_id) IN (SELECT created_at, id FROM doomed)),
       o AS (DELETE FROM outbox WHERE transaction_id IN (SELECT id FROM doomed)),
       t AS (DELETE FROM transactions WHERE id IN (SELECT id FROM doomed) RETURNING 1)
       SELECT count(*)::int AS n FROM t`,
      [olderThanDays, batchSize],
    );
    return rows[0].n;
  }
}
