import type { DataSource } from 'typeorm';

/** An outbox row taken for delivery. */
export interface OutboxItem {
  id: string;
  topic: string;
  transactionId: string;
  payload: unknown;
  /** Delivery attempts so far, this one included. */
  attempts: number;
}

/**
 * The outbox of announcements (rows are written by the transition that
 * causes them, see Transition.outbox). Delivery is at least once: a replica
 * takes due rows by pushing their `due_at` past a lease, in one statement
 * whose SKIP LOCKED keeps two replicas off the same row; a replica that dies
 * mid-delivery leaves its rows to be taken again when the lease runs out.
 */
export class OutboxStore {
  constructor(private readonly db: DataSource) {}

  async take(limit: number, leaseMs: number): Promise<OutboxItem[]> {
    // An UPDATE … RETURNING answers [rows, affected count] through TypeORM's pg driver.
    const [rows] = await this.db.query<[Record<string, unknown>[], number]>(
      `UPDATE outbox SET due_at = now() + make_interval(secs => $2 / 1000.0), attempts = attempts + 1
       WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND due_at <= now()
                    ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, topic, transaction_id, payload, attempts`,
      [limit, leaseMs],
    );
    return rows.map((r) => ({
      id: String(r.id),
      topic: r.topic as string,
      transactionId: r.transaction_id as string,
      payload: r.payload,
      attempts: r.attempts as number,
    }));
  }

  async delivered(id: string): Promise<void> {
    await this.db.query('UPDATE outbox SET delivered_at = now(), last_error = NULL WHERE id = $1', [id]);
  }

  /** Due again in `retryInMs`. */
  async failed(id: string, error: string, retryInMs: number): Promise<void> {
    await this.db.query(
      'UPDATE outbox SET due_at = now() + make_interval(secs => $3 / 1000.0), last_error = $2 WHERE id = $1 AND delivered_at IS NULL',
      [id, error.slice(0, 1000), retryInMs],
    );
  }

  /** Rows of a transaction, oldest first (operators and tests). */
  async ofTransaction(transactionId: string): Promise<Record<string, unknown>[]> {
    return this.db.query(
      'SELECT id, topic, payload, attempts, delivered_at, last_error, created_at FROM outbox WHERE transaction_id = $1 ORDER BY id',
      [transactionId],
    );
  }
}
