import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { COMMIT_BATCH_SQL, claimBatchSql } from './batched-transitions.sql';
import { Batcher } from './batcher';
import {
  mapTransactionRow, type AttemptRecord, type Claim, type NewTransaction, type Transition, type TransactionRecord,
} from './transaction.record';
import { insertedRecord, iso, stepJson, toClaim } from './transaction.rows';

export const TX_NOTIFY_CHANNEL = 'accord_tx';

/** See TransactionStore.notifyObserver. */
export interface NotifyObserver {
  expect(id: string): void;
  deliver(record: TransactionRecord): void;
  abandon(id: string): void;
}

/** The transaction columns mapTransactionRow reads. Named, not `t.*`: the hot
 * statements are prepared, and a prepared statement whose result columns
 * change (a migration adding a column under a running replica) fails. */
const TX_COLUMN_NAMES = ['id', 'namespace', 'definition_name', 'definition_version', 'spec', 'type', 'status', 'direction',
  'pivot_passed', 'input', 'deadline_at', 'version', 'traceparent', 'created_at', 'updated_at', 'finished_at'];
const TX_COLUMNS = TX_COLUMN_NAMES.map((c) => `t.${c}`).join(', ');

const LOAD_SQL = `
  SELECT ${TX_COLUMNS}, (SELECT json_agg(s ORDER BY s.idx) FROM steps s WHERE s.transaction_id = t.id) AS steps
  FROM transactions t WHERE t.id = $1`;

const STEP_RECORD = `x(name text, status text, phase text, attempt int, attempt_base int, due_at timestamptz,
  lease_ms int, may_have_applied boolean, input jsonb, output jsonb, last_error text)`;

const IN_FLIGHT = `('RUNNING', 'COMPENSATING', 'TRYING', 'CONFIRMING', 'CANCELLING')`;

/** Claims and plain transitions run as at most this many statements at once
 * each; what arrives meanwhile shares the next statement (group commit). */
const BATCHES_IN_FLIGHT = 4;
const MAX_BATCH = 64;

interface ClaimRequest {
  id: string;
  step: string;
  phase: string;
  attempt: number;
}

/**
 * The hot path's SQL. Each method is one statement (one round trip), and every
 * transition is a compare-and-set on the transaction's version, so two results
 * applied at once cannot lose an update.
 */
export class TransactionStore {
  /** Told about every transition that sends the waiters' NOTIFY: before the
   * statement (`expect`), then with the transaction as committed (`deliver`)
   * or that it did not commit (`abandon`). A waiter on this replica then
   * needs no reload (the TransactionListener). */
  notifyObserver: NotifyObserver | null = null;

  private readonly claims = new Batcher<ClaimRequest, Claim | null>(
    (batch) => this.claimBatch(batch),
    (req) => this.claimOne(req),
    { maxInFlight: BATCHES_IN_FLIGHT, maxSize: MAX_BATCH, key: (r) => `${r.id}/${r.step}` },
  );

  private readonly commits = new Batcher<Transition, boolean>(
    (batch) => this.commitBatch(batch),
    (t) => this.commitOne(t),
    { maxInFlight: BATCHES_IN_FLIGHT, maxSize: MAX_BATCH, key: (t) => t.id },
  );

  constructor(private readonly db: DataSource) {}

  /** The hot path's statements go to the DataSource's pg pool as named
   * (prepared) statements: each connection parses and plans them once. */
  private async hot(name: string, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    const pool = (this.db.driver as unknown as { master: Pool }).master;
    return (await pool.query({ name: `accord_${name}`, text, values })).rows as Record<string, unknown>[];
  }

  /** Inserts transaction and steps; with an idempotency key, only if the key
   * is new. Returns the inserted transaction as `load` would (one round trip),
   * or null when the key already existed. */
  async insert(tx: NewTransaction): Promise<TransactionRecord | null> {
    const steps = JSON.stringify(tx.steps.map((s, idx) => ({ ...stepJson(s), idx })));
    const values = [
      tx.id, tx.namespace, tx.definitionName, tx.definitionVersion, tx.spec === null ? null : JSON.stringify(tx.spec),
      tx.type, tx.status, tx.direction, JSON.stringify(tx.input ?? null), iso(tx.deadlineAt), tx.traceparent, steps,
    ];
    const insertTx = `INSERT INTO transactions (id, namespace, definition_name, definition_version, spec, type, status,
        direction, input, deadline_at, traceparent)
      SELECT $1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9::jsonb, $10::timestamptz, $11`;
    const insertSteps = `INSERT INTO steps (transaction_id, idx, name, status, phase, attempt, attempt_base, due_at, lease_ms,
        may_have_applied, input, output, last_error)
      SELECT t.id, x.idx, x.name, x.status, x.phase, x.attempt, x.attempt_base, x.due_at, x.lease_ms, x.may_have_applied,
        x.input, x.output, x.last_error
      FROM t, jsonb_to_recordset($12::jsonb) AS x(idx int, name text, status text, phase text, attempt int, attempt_base int,
        due_at timestamptz, lease_ms int, may_have_applied boolean, input jsonb, output jsonb, last_error text)`;
    // Everything but the timestamp is what we wrote: the record is built here
    // rather than read back (RETURNING * and json_agg cost Postgres more than
    // the rest of the statement).
    const rows: Record<string, unknown>[] = !tx.idempotency
      ? await this.hot('insert_v2', `WITH t AS (${insertTx} RETURNING id, created_at), s AS (${insertSteps}) SELECT t.created_at FROM t`, values)
      : await this.hot(
          'insert_idempotent_v2',
          `WITH k AS (INSERT INTO idempotency_keys (namespace, key, request_hash, transaction_id)
              VALUES ($2, $13, $14, $1) ON CONFLICT DO NOTHING RETURNING 1),
            t AS (${insertTx} WHERE EXISTS (SELECT 1 FROM k) RETURNING id, created_at),
            s AS (${insertSteps})
          SELECT t.created_at FROM t`,
          [...values, tx.idempotency.key, tx.idempotency.requestHash],
        );
    return rows.length === 0 ? null : insertedRecord(tx, rows[0].created_at as Date | string);
  }

  async findIdempotencyKey(namespace: string, key: string): Promise<{ requestHash: string; transactionId: string } | null> {
    const rows = await this.db.query(
      'SELECT request_hash, transaction_id FROM idempotency_keys WHERE namespace = $1 AND key = $2',
      [namespace, key],
    );
    return rows.length === 0 ? null : { requestHash: rows[0].request_hash, transactionId: rows[0].transaction_id };
  }

  async load(id: string): Promise<TransactionRecord | null> {
    const rows = await this.hot('load', LOAD_SQL, [id]);
    return rows.length === 0 ? null : mapTransactionRow(rows[0]);
  }

  /** Claims the owed call (step, phase, attempt) for one worker: bumps the
   * fencing token and sets the lease. Null when it is not owed or is leased.
   * Also returns the transaction as of the claim (the claimed step as
   * updated), so the result's transition can start from it. */
  claim(id: string, step: string, phase: string, attempt: number): Promise<Claim | null> {
    return this.claims.submit({ id, step, phase, attempt });
  }

  private async claimOne({ id, step, phase, attempt }: ClaimRequest): Promise<Claim | null> {
    const rows = await this.hot(
      'claim',
      `WITH c AS (UPDATE steps s SET lease_until = now() + make_interval(secs => s.lease_ms / 1000.0), claim = s.claim + 1
       FROM transactions t
       WHERE s.transaction_id = $1 AND s.name = $2 AND s.phase = $3 AND s.attempt = $4 AND s.due_at IS NOT NULL
         AND (s.lease_until IS NULL OR s.lease_until < now())
         AND t.id = s.transaction_id AND t.status IN ${IN_FLIGHT}
       RETURNING s.*)
       SELECT ${TX_COLUMNS}, c.claim AS claimed, c.input AS step_input,
         (SELECT json_agg(x ORDER BY x.idx)
          FROM (SELECT * FROM c UNION ALL SELECT * FROM steps o WHERE o.transaction_id = $1 AND o.name <> $2) x) AS steps
       FROM c JOIN transactions t ON t.id = c.transaction_id`,
      [id, step, phase, attempt],
    );
    return rows[0] ? toClaim(rows[0]) : null;
  }

  private async claimBatch(batch: ClaimRequest[]): Promise<(Claim | null)[]> {
    const rows = await this.hot('claim_batch', claimBatchSql(TX_COLUMNS, IN_FLIGHT), [
      JSON.stringify(batch.map((r, i) => ({ i, id: r.id, name: r.step, phase: r.phase, attempt: r.attempt }))),
    ]);
    const claims: (Claim | null)[] = batch.map(() => null);
    for (const row of rows) claims[row.i as number] = toClaim(row);
    return claims;
  }

  /** Applies a transition if nobody moved the transaction since it was
   * loaded and, when it carries an attempt, the attempt's claim is still the
   * step's current one. False means a lost race: reload and decide again. */
  async commit(t: Transition): Promise<boolean> {
    if (!t.notify && !t.audit) return this.commits.submit(t);
    return this.commitOne(t);
  }

  private async commitBatch(batch: Transition[]): Promise<boolean[]> {
    const rows = await this.hot('commit_batch', COMMIT_BATCH_SQL, [
      JSON.stringify(
        batch.map((t, i) => {
          const a = t.attempt;
          return {
            i, id: t.id, expected: t.expectedVersion, status: t.status, direction: t.direction, pivot_passed: t.pivotPassed,
            finished: t.finished, steps: t.steps.map(stepJson), a_step: a?.step ?? null, a_claim: a?.claim ?? null,
            a_phase: a?.phase ?? null, a_attempt: a?.attempt ?? null, a_started_at: a ? iso(a.startedAt) : null,
            a_latency_ms: a?.latencyMs ?? null, a_outcome: a?.outcome ?? null, a_status_code: a?.statusCode ?? null,
            a_error: a?.error ?? null, a_request: a ? (a.request ?? null) : null, a_applied: a?.applied ?? null,
            a_worker: a?.worker ?? null,
          };
        }),
      ),
    ]);
    const committed = new Set(rows.map((r) => r.i as number));
    return batch.map((_, i) => committed.has(i));
  }

  private async commitOne(t: Transition): Promise<boolean> {
    const a = t.attempt;
    // The attempt goes as plain parameters (null when there is none): parsing
    // it from JSON cost Postgres more than the insert itself.
    const values: unknown[] = [
      t.id, t.expectedVersion, t.status, t.direction, t.pivotPassed, t.finished, JSON.stringify(t.steps.map(stepJson)),
      a?.step ?? null, a?.claim ?? null, a?.phase ?? null, a?.attempt ?? null, a ? iso(a.startedAt) : null,
      a?.latencyMs ?? null, a?.outcome ?? null, a?.statusCode ?? null, a?.error ?? null,
      a ? JSON.stringify(a.request ?? null) : null, a?.applied ?? null, a?.worker ?? null,
    ];
    if (t.audit) values.push(JSON.stringify([{ ...t.audit, details: t.audit.details ?? null }]));
    const name = `commit_${t.notify ? 'n' : ''}${t.audit ? 'a' : ''}`;
    if (!t.notify) return (await this.hot(name, commitSql(false, t.audit !== null), values))[0].updated === 1;
    const observer = this.notifyObserver;
    observer?.expect(t.id);
    let committed: TransactionRecord | null = null;
    try {
      const rows = await this.hot(name, commitSql(true, t.audit !== null), values);
      committed = rows.length === 0 ? null : mapTransactionRow(rows[0]);
    } finally {
      if (committed) observer?.deliver(committed);
      else observer?.abandon(t.id);
    }
    return committed !== null;
  }

  /** Logs a call whose result did not move the state machine. */
  async logAttempt(attempt: AttemptRecord): Promise<void> {
    const a = attempt;
    await this.db.query(
      `INSERT INTO attempts (transaction_id, step, phase, attempt, claim, started_at, latency_ms, outcome, status_code,
         error, request, applied, worker)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13)`,
      [a.transactionId, a.step, a.phase, a.attempt, a.claim, iso(a.startedAt), a.latencyMs, a.outcome, a.statusCode,
        a.error, JSON.stringify(a.request ?? null), a.applied, a.worker],
    );
  }

  async attempts(id: string): Promise<Record<string, unknown>[]> {
    return this.db.query(
      `SELECT id, step, phase, attempt, started_at, latency_ms, outcome, status_code, error, applied, worker
       FROM attempts WHERE transaction_id = $1 ORDER BY id`,
      [id],
    );
  }
}

/**
 * The transition statement, in up to four prepared variants: the NOTIFY (and
 * the transaction as committed, for this replica's waiters) only with
 * `notify`, the audit insert only with an audit entry. Without `notify` it
 * answers one row `updated` (0 or 1); with it, the committed transaction in
 * LOAD_SQL's shape, or no row.
 */
function commitSql(notify: boolean, audit: boolean): string {
  const ctes = [
    `t AS (
       UPDATE transactions SET status = $3, direction = $4, pivot_passed = $5, version = version + 1, updated_at = now(),
         finished_at = CASE WHEN $6::boolean THEN now() ELSE NULL END
       WHERE id = $1 AND version = $2
         -- rule 4: a call's result moves the machine only while its claim is the step's current one
         AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM steps o WHERE o.transaction_id = $1 AND o.name = $8 AND o.claim = $9))
       RETURNING ${notify ? TX_COLUMN_NAMES.join(', ') : 'id'})`,
    `s AS (
       UPDATE steps SET status = x.status, phase = x.phase, attempt = x.attempt, attempt_base = x.attempt_base,
         due_at = x.due_at, lease_ms = x.lease_ms, may_have_applied = x.may_have_applied, input = x.input,
         output = x.output, last_error = x.last_error, updated_at = now(),
         lease_until = CASE WHEN steps.phase IS NOT DISTINCT FROM x.phase AND steps.attempt = x.attempt
                            THEN steps.lease_until END
       FROM t, jsonb_to_recordset($7::jsonb) AS ${STEP_RECORD}
       WHERE steps.transaction_id = t.id AND steps.name = x.name RETURNING ${notify ? 'steps.*' : '1'})`,
    `a AS (INSERT INTO attempts (transaction_id, step, phase, attempt, claim, started_at, latency_ms, outcome, status_code,
         error, request, applied, worker)
       SELECT t.id, $8, $10, $11, $9, $12, $13, $14, $15, $16, $17::jsonb, $18, $19 FROM t WHERE $8::text IS NOT NULL)`,
  ];
  if (audit) {
    ctes.push(`au AS (INSERT INTO audit (actor, action, target, note, details)
       SELECT r.actor, r.action, r.target, r.note, r.details
       FROM t, jsonb_to_recordset($20::jsonb) AS r(actor text, action text, target text, note text, details jsonb))`);
  }
  if (!notify) return `WITH ${ctes.join(',\n')}\nSELECT (SELECT count(*) FROM t)::int AS updated`;
  // The statement's snapshot predates its own updates: the steps it changed
  // come from s, the others from the table.
  return `WITH ${ctes.join(',\n')}
    SELECT ${TX_COLUMNS}, pg_notify('${TX_NOTIFY_CHANNEL}', t.id::text) AS notified,
      (SELECT json_agg(x ORDER BY x.idx)
       FROM (SELECT * FROM s UNION ALL SELECT * FROM steps o WHERE o.transaction_id = $1 AND o.name NOT IN (SELECT name FROM s)) x) AS steps
    FROM t`;
}
