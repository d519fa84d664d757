import { DEADLINE_STATUSES, sqlStatusList, type CallRef, type Phase, type TraceContext } from '@accord/contracts';
import type { DataSource } from 'typeorm';
import type { CarriedClaim } from './transaction.record';

/** A call Postgres says is owed, since when, the trace of its transaction,
 * and the claim taken for its job when it was scheduled, for the job that
 * replaces it to take over (null: none, or a worker claimed it since). */
export interface OwedCall extends CallRef {
  dueAt: number;
  transactionTrace: TraceContext | null;
  claim: CarriedClaim | null;
}

/** The recovery sweeper's queries: plain reads, locking nothing. Every
 * replica may see the same rows, and that is safe because what follows is:
 * re-enqueueing a call is a no-op while its job exists (deterministic job
 * ids), the worker that makes a call must first win its claim in Postgres
 * (a compare-and-set on the step's lease), and a deadline is a transition
 * like any other (a compare-and-set on the version; the second replica's is
 * rejected). */
export class SweepStore {
  constructor(private readonly db: DataSource) {}

  /** Calls that are due for longer than `graceMs` and that no worker holds:
   * no live lease, or one taken for a job (`preclaimed`), which may be
   * lost with Redis (the caller re-creates only the jobs Redis lacks). */
  async owedCalls(graceMs: number, limit: number): Promise<OwedCall[]> {
    const rows = await this.db.query<Record<string, unknown>[]>(
      `SELECT s.transaction_id, s.name, s.phase, s.attempt, s.due_at, s.claim, s.preclaimed, t.traceparent, t.tracestate
       FROM steps s JOIN transactions t ON t.id = s.transaction_id
       WHERE s.due_at <= now() - make_interval(secs => $1 / 1000.0)
         AND (s.lease_until IS NULL OR s.lease_until < now() OR s.preclaimed)
       -- unleased calls first: pre-claimed ones mostly have their job (it is
       -- being made), and must not crowd them out of the batch
       ORDER BY s.lease_until IS NOT NULL AND s.lease_until >= now(), s.due_at LIMIT $2`,
      [graceMs, limit],
    );
    return rows.map((r) => ({
      transactionId: r.transaction_id as string,
      step: r.name as string,
      // only the machines write it, and a step owing a call has a phase
      phase: r.phase as Phase,
      attempt: r.attempt as number,
      dueAt: new Date(r.due_at as string).getTime(),
      claim: r.preclaimed === true ? { claim: r.claim as number } : null,
      transactionTrace: r.traceparent ? { traceparent: r.traceparent as string, tracestate: (r.tracestate as string | null) ?? null } : null,
    }));
  }

  async overdueDeadlines(limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }[]>(
      `SELECT id FROM transactions WHERE status IN ${sqlStatusList(DEADLINE_STATUSES)} AND deadline_at IS NOT NULL AND deadline_at <= now()
         AND NOT pivot_passed
       ORDER BY deadline_at LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }
}
