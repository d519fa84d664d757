import { IN_FLIGHT_STATUSES, SAGA_STATUS, sqlStatusList } from '@accord/contracts';
import type { DataSource } from 'typeorm';

/** What the gauges of /metrics show, read from Postgres so that they are
 * true whichever replica answers and after a crash. */
export interface GaugeReading {
  inFlight: number;
  stuck: number;
  /** Steps whose call is due and that no worker has claimed in Postgres (no
   * live lease, or one taken for its job): a job's first delivery calls
   * without a claim statement, so one being called counts here too. */
  dueSteps: number;
  /** How long the oldest of them has been due; 0 when there is none. */
  oldestDueSeconds: number;
}

const IN_FLIGHT_COUNT = `SELECT count(*)::int FROM transactions WHERE status IN ${sqlStatusList(IN_FLIGHT_STATUSES)}`;

export class GaugeStore {
  constructor(private readonly db: DataSource) {}

  /** Transactions still moving (not terminal, not STUCK): what MAX_IN_FLIGHT limits. */
  async inFlight(): Promise<number> {
    const rows = await this.db.query<[{ n: number }]>(`SELECT (${IN_FLIGHT_COUNT}) AS n`);
    return rows[0].n;
  }

  /** One round trip; the counts use the status and due indexes. */
  async read(): Promise<GaugeReading> {
    const rows = await this.db.query<[{ in_flight: number; stuck: number; due_steps: number; oldest_due_seconds: number }]>(
      `SELECT
         (${IN_FLIGHT_COUNT}) AS in_flight,
         (SELECT count(*)::int FROM transactions WHERE status IN ${sqlStatusList([SAGA_STATUS.STUCK])}) AS stuck,
         count(*)::int AS due_steps,
         COALESCE(EXTRACT(EPOCH FROM now() - min(due_at)), 0)::float8 AS oldest_due_seconds
       FROM steps
       WHERE due_at <= now() AND (lease_until IS NULL OR lease_until < now() OR preclaimed)`,
    );
    const row = rows[0];
    return { inFlight: row.in_flight, stuck: row.stuck, dueSteps: row.due_steps, oldestDueSeconds: Math.max(0, row.oldest_due_seconds) };
  }
}
