import type { DataSource } from 'typeorm';

export interface OwedCall {
  transactionId: string;
  step: string;
  phase: string;
  attempt: number;
  dueAt: number;
}

/** The recovery sweeper's queries. Safe on every replica at once: rows are
 * taken with SKIP LOCKED and re-enqueueing is idempotent. */
export class SweepStore {
  constructor(private readonly db: DataSource) {}

  /** Calls that are due for longer than `graceMs` and have no live lease. */
  async owedCalls(graceMs: number, limit: number): Promise<OwedCall[]> {
    const rows = await this.db.query(
      `SELECT transaction_id, name, phase, attempt, due_at FROM steps
       WHERE due_at <= now() - make_interval(secs => $1 / 1000.0)
         AND (lease_until IS NULL OR lease_until < now())
       ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [graceMs, limit],
    );
    return rows.map((r: Record<string, unknown>) => ({
      transactionId: r.transaction_id as string,
      step: r.name as string,
      phase: r.phase as string,
      attempt: r.attempt as number,
      dueAt: new Date(r.due_at as string).getTime(),
    }));
  }

  async overdueDeadlines(limit: number): Promise<string[]> {
    const rows = await this.db.query(
      `SELECT id FROM transactions WHERE status IN ('RUNNING', 'TRYING') AND deadline_at IS NOT NULL AND deadline_at <= now()
         AND NOT pivot_passed
       ORDER BY deadline_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    return rows.map((r: { id: string }) => r.id);
  }
}
