import type { DataSource } from 'typeorm';
import type { CallRef } from '@accord/contracts';
import { preparedQuery } from '../util/prepared-query';
import { Batcher } from './batcher';
import {
  mapTransactionRow, type AttemptRecord, type Claim, type NewTransaction, type Transition, type TransactionRecord,
} from './transaction.record';
import { toIso } from '../util/time';
import { committedRecord, insertedRecord, stepJson, transitionRequest } from './transaction.rows';
import {
  CLAIM_BATCH_SQL, CLAIM_ONE_SQL, COMMIT_BATCH_SQL, COMMIT_ONE_SQL, COMMIT_ONE_WITH_EXTRAS_SQL, INSERT_IDEMPOTENT_SQL,
  INSERT_SQL, LOAD_SQL, TRANSITION_FIELDS,
} from './transition.sql';

/** See TransactionStore.notifyObserver. */
export interface NotifyObserver {
  expect(id: string): void;
  deliver(record: TransactionRecord): void;
  abandon(id: string): void;
}

/** Claims and plain transitions run as at most this many statements at once
 * each; what arrives meanwhile shares the next statement (group commit). */
const BATCHES_IN_FLIGHT = 4;
const MAX_BATCH = 64;


/**
 * The hot path. Each method is one statement (one round trip), and every
 * transition is a compare-and-set on the transaction's version, so two results
 * applied at once cannot lose an update.
 */
export class TransactionStore {
  /** Told about every transition that sends the waiters' NOTIFY: before the
   * statement (`expect`), then with the transaction as committed (`deliver`)
   * or that it did not commit (`abandon`). A waiter on this replica then
   * needs no reload (TransactionWaiters). */
  notifyObserver: NotifyObserver | null = null;

  private readonly claims = new Batcher<CallRef, Claim | null>(
    (batch) => this.claimBatch(batch),
    (call) => this.claimOne(call),
    { maxInFlight: BATCHES_IN_FLIGHT, maxSize: MAX_BATCH, key: (c) => `${c.transactionId}/${c.step}` },
  );

  /** Each answers its commit's time, or null for a lost race. */
  private readonly commits = new Batcher<Transition, Date | null>(
    (batch) => this.commitBatch(batch),
    async (t) => committedAt(await preparedQuery(this.db, 'commit_one', COMMIT_ONE_SQL, transitionValues(t))),
    { maxInFlight: BATCHES_IN_FLIGHT, maxSize: MAX_BATCH, key: (t) => t.id },
  );

  constructor(private readonly db: DataSource) {}

  /** Inserts transaction and steps; with an idempotency key, only if the key
   * is new. Returns the inserted transaction as `load` would, or null when
   * the key already existed. */
  async insert(tx: NewTransaction): Promise<TransactionRecord | null> {
    const values = [
      tx.id, tx.definitionName, tx.definitionVersion, tx.spec === null ? null : JSON.stringify(tx.spec),
      tx.type, tx.status, tx.direction, JSON.stringify(tx.input ?? null), toIso(tx.deadlineAt), tx.traceparent, tx.tracestate,
      JSON.stringify(tx.steps.map((s, idx) => ({ ...stepJson(s), idx }))),
    ];
    // Everything but the timestamp is what we wrote: the record is built here
    // rather than read back (RETURNING * and json_agg cost Postgres more than
    // the rest of the statement).
    const rows = !tx.idempotency
      ? await preparedQuery(this.db, 'insert', INSERT_SQL, values)
      : await preparedQuery(this.db, 'insert_idempotent', INSERT_IDEMPOTENT_SQL, [
          ...values, tx.idempotency.key, tx.idempotency.requestHash,
        ]);
    return rows.length === 0 ? null : insertedRecord(tx, rows[0].created_at as Date | string);
  }

  async findIdempotencyKey(key: string): Promise<{ requestHash: string; transactionId: string } | null> {
    const rows = await this.db.query<{ request_hash: string; transaction_id: string }[]>(
      'SELECT request_hash, transaction_id FROM idempotency_keys WHERE key = $1',
      [key],
    );
    return rows.length === 0 ? null : { requestHash: rows[0].request_hash, transactionId: rows[0].transaction_id };
  }

  async load(id: string): Promise<TransactionRecord | null> {
    const rows = await preparedQuery(this.db, 'load', LOAD_SQL, [id]);
    return rows.length === 0 ? null : mapTransactionRow(rows[0]);
  }

  /** Claims the owed call (step, phase, attempt) for one worker: bumps the
   * fencing token and sets the lease. Null when it is not owed or is leased.
   * Also returns the transaction as of the claim, so the result's transition
   * can start from it. */
  claim(call: CallRef): Promise<Claim | null> {
    return this.claims.submit(call);
  }

  /** Applies a transition decided from `base` if nobody moved the
   * transaction since (its version is still `t.expectedVersion`) and, when
   * it carries an attempt, the attempt's claim is still the step's current
   * one. False means a lost race: reload and decide again. One that settles
   * its transaction tells the notify observer, before and after. */
  async commit(t: Transition, base: TransactionRecord): Promise<boolean> {
    const observer = t.notify ? this.notifyObserver : null;
    observer?.expect(t.id);
    let at: Date | null = null;
    try {
      at = t.audit || t.outbox.length > 0 ? await this.commitWithExtras(t) : await this.commits.submit(t);
    } finally {
      if (at) observer?.deliver(committedRecord(base, t, at));
      else observer?.abandon(t.id);
    }
    return at !== null;
  }

  /** Ends this claim's lease now, so the call is owed again at once (the
   * claim stays: the call may count as taken over). */
  async releaseLease(call: CallRef, claim: number): Promise<void> {
    await this.db.query(
      `UPDATE steps SET lease_until = now() WHERE transaction_id = $1 AND name = $2 AND phase = $3 AND attempt = $4 AND claim = $5`,
      [call.transactionId, call.step, call.phase, call.attempt, claim],
    );
  }

  /** Logs a call whose result did not move the state machine. */
  async logAttempt(a: AttemptRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO attempts (transaction_id, step, phase, attempt, claim, started_at, latency_ms, outcome, status_code,
         error, request, applied, budget_exhausted, worker)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12, $13, $14)`,
      [a.transactionId, a.step, a.phase, a.attempt, a.claim, toIso(a.startedAt), a.latencyMs, a.outcome, a.statusCode,
        a.error, JSON.stringify(a.request ?? null), a.applied, a.budgetExhausted, a.worker],
    );
  }

  async attempts(id: string): Promise<Record<string, unknown>[]> {
    return this.db.query(
      `SELECT id, step, phase, attempt, started_at, latency_ms, outcome, status_code, error, request, applied,
         budget_exhausted, worker
       FROM attempts WHERE transaction_id = $1 ORDER BY id`,
      [id],
    );
  }

  private async claimOne(c: CallRef): Promise<Claim | null> {
    const [row] = await preparedQuery(this.db, 'claim_one', CLAIM_ONE_SQL, [c.transactionId, c.step, c.phase, c.attempt]);
    return row ? claimOf(row) : null;
  }

  private async claimBatch(batch: CallRef[]): Promise<(Claim | null)[]> {
    const rows = await preparedQuery(this.db, 'claim_batch', CLAIM_BATCH_SQL, [
      JSON.stringify(batch.map((c, i) => ({ i, id: c.transactionId, name: c.step, phase: c.phase, attempt: c.attempt }))),
      batch.length,
    ]);
    const claims: (Claim | null)[] = batch.map(() => null);
    for (const row of rows) claims[row.i as number] = claimOf(row);
    return claims;
  }

  private async commitBatch(batch: Transition[]): Promise<(Date | null)[]> {
    const requests = batch.map((t, i) => ({ i, ...transitionRequest(t) }));
    const rows = await preparedQuery(this.db, 'commit_batch', COMMIT_BATCH_SQL, [JSON.stringify(requests), batch.length]);
    const at = new Map(rows.map((r) => [r.i as number, r.at as Date]));
    return batch.map((_, i) => at.get(i) ?? null);
  }

  /** A transition with an operator's audit entry or outbox rows, written in
   * the same statement. */
  private async commitWithExtras(t: Transition): Promise<Date | null> {
    return committedAt(
      await preparedQuery(this.db, 'commit_one_extras', COMMIT_ONE_WITH_EXTRAS_SQL, [
        ...transitionValues(t),
        JSON.stringify(t.audit ? [{ ...t.audit, details: t.audit.details ?? null }] : []),
        JSON.stringify(t.outbox),
      ]),
    );
  }
}

/** The commit's time, or null when it did not apply. */
function committedAt(rows: Record<string, unknown>[]): Date | null {
  return rows.length === 0 ? null : (rows[0].at as Date);
}

function claimOf(row: Record<string, unknown>): Claim {
  return { claim: row.claimed as number, resumed: row.resumed as boolean, record: mapTransactionRow(row) };
}

/** One transition in plain parameters, in the order of TRANSITION_FIELDS:
 * jsonb fields as their text. */
function transitionValues(t: Transition): unknown[] {
  const request = transitionRequest(t);
  return (Object.keys(TRANSITION_FIELDS) as (keyof typeof TRANSITION_FIELDS)[]).map((name) =>
    TRANSITION_FIELDS[name] === 'jsonb' ? JSON.stringify(request[name]) : request[name],
  );
}
