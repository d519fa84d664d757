import type { DataSource } from 'typeorm';
import { IN_FLIGHT_STATUSES, type CallRef } from '@accord/contracts';
import { preparedQuery } from '../util/prepared-query';
import { Batcher } from './batcher';
import { RecentRecords } from './recent-records';
import {
  mapTransactionRow, type AttemptRecord, type CarriedClaim, type Claim, type NewTransaction, type Transition, type TransactionRecord,
} from './transaction.record';
import { toIso, toMs } from '../util/time';
import { committedRecord, insertedRecord, stepJson, transitionRequest, type Committed } from './transaction.rows';
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
 * each; what arrives meanwhile shares the next statement (group commit).
 * Two rather than four: fuller batches (1.4 Postgres transactions per saga
 * instead of 1.9 at 64 open) gave 6 % more sagas per second at 64 and 16
 * open, where one in flight left Postgres idle between batches. */
const BATCHES_IN_FLIGHT = 2;
const MAX_BATCH = 64;

/** Unfinished transactions whose latest version a replica keeps at hand. */
const RECENT_RECORDS = 10_000;

/** A call to claim, with the version of its transaction this replica holds
 * and the claim its job carries. */
interface ClaimRequest {
  call: CallRef;
  known: TransactionRecord | null;
  carried: CarriedClaim | null;
}


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

  private readonly recent = new RecentRecords(RECENT_RECORDS);

  private readonly claims = new Batcher<ClaimRequest, Claim | null>(
    (batch) => this.claimBatch(batch),
    (request) => this.claimOne(request),
    { maxInFlight: BATCHES_IN_FLIGHT, maxSize: MAX_BATCH, key: ({ call }) => `${call.transactionId}/${call.step}` },
  );

  /** Each answers what its commit took, or null for a lost race. */
  private readonly commits = new Batcher<Transition, Committed | null>(
    (batch) => this.commitBatch(batch),
    async (t) => committedOf(await preparedQuery(this.db, 'commit_one', COMMIT_ONE_SQL, transitionValues(t))),
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
    if (rows.length === 0) return null;
    const record = insertedRecord(tx, rows[0].created_at as Date | string);
    this.recent.put(record);
    return record;
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
    if (rows.length === 0) return null;
    const record = mapTransactionRow(rows[0]);
    this.keep(record);
    return record;
  }

  /** Claims the owed call (step, phase, attempt) for one worker: bumps the
   * fencing token and sets the lease. Null when it is not owed or is leased.
   * Also returns the transaction as of the claim, so the result's transition
   * can start from it.
   *
   * `carried`: the claim the call's job carries. Within its `useBy` it is
   * taken as it is, with no statement, if the transaction as this replica
   * holds it (or loads it) still shows it; otherwise the job claims the call
   * over that claim, which its lease does not stop. */
  async claim(call: CallRef, carried: CarriedClaim | null = null): Promise<Claim | null> {
    const known = this.recent.get(call.transactionId) ?? null;
    if (carried?.useBy !== undefined && Date.now() < carried.useBy) {
      const record = known ?? (await this.load(call.transactionId));
      if (record && holdsCarried(record, call, carried.claim)) return { claim: carried.claim, resumed: false, record };
    }
    return this.claims.submit({ call, known, carried });
  }

  /** Applies a transition decided from `base` if nobody moved the
   * transaction since (its version is still `t.expectedVersion`) and, when
   * it carries an attempt, the attempt's claim is still the step's current
   * one. Answers the transaction as committed (with the claims its
   * pre-claimed steps took); null means a lost race: reload and decide
   * again. One that settles its transaction tells the notify observer,
   * before and after. */
  async commit(t: Transition, base: TransactionRecord): Promise<TransactionRecord | null> {
    const observer = t.notify ? this.notifyObserver : null;
    observer?.expect(t.id);
    let committed: TransactionRecord | null = null;
    try {
      const answer = t.audit || t.outbox.length > 0 ? await this.commitWithExtras(t) : await this.commits.submit(t);
      if (answer) {
        committed = committedRecord(base, t, answer);
        this.keep(committed);
      }
    } finally {
      if (committed) observer?.deliver(committed);
      else observer?.abandon(t.id);
    }
    return committed;
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

  private async claimOne({ call: c, known, carried }: ClaimRequest): Promise<Claim | null> {
    const [row] = await preparedQuery(this.db, 'claim_one', CLAIM_ONE_SQL, [
      c.transactionId, c.step, c.phase, c.attempt, known?.version ?? -1, carried?.claim ?? null, carried?.useBy !== undefined,
    ]);
    return row ? this.claimOf(row, c, known) : null;
  }

  private async claimBatch(batch: ClaimRequest[]): Promise<(Claim | null)[]> {
    const rows = await preparedQuery(this.db, 'claim_batch', CLAIM_BATCH_SQL, [
      JSON.stringify(batch.map(({ call: c, known, carried }, i) => ({
        i, id: c.transactionId, name: c.step, phase: c.phase, attempt: c.attempt, known: known?.version ?? -1,
        token: carried?.claim ?? null, fresh: carried?.useBy !== undefined,
      }))),
      batch.length,
    ]);
    const claims: (Claim | null)[] = batch.map(() => null);
    for (const row of rows) {
      const { call, known } = batch[row.i as number];
      claims[row.i as number] = this.claimOf(row, call, known);
    }
    return claims;
  }

  /** The claim, its transaction either as Postgres sent it or, when it had
   * not moved (`cached`), as this replica held it with the claimed step's
   * new claim and lease. */
  private claimOf(row: Record<string, unknown>, call: CallRef, known: TransactionRecord | null): Claim {
    const claim = row.claimed as number;
    const leaseUntil = toMs(row.claimed_lease_until as Date | string | null);
    const record =
      row.cached === true && known
        ? { ...known, steps: known.steps.map((s) => (s.name === call.step ? { ...s, claim, leaseUntil, preclaimed: false } : s)) }
        : mapTransactionRow(row);
    this.keep(record);
    return { claim, resumed: row.resumed as boolean, record };
  }

  /** Finished transactions are not claimed again: they are let go. */
  private keep(record: TransactionRecord): void {
    if (record.finishedAt === null) this.recent.put(record);
    else this.recent.forget(record.id);
  }

  private async commitBatch(batch: Transition[]): Promise<(Committed | null)[]> {
    const requests = batch.map((t, i) => ({ i, ...transitionRequest(t) }));
    const rows = await preparedQuery(this.db, 'commit_batch', COMMIT_BATCH_SQL, [JSON.stringify(requests), batch.length]);
    const applied = new Map(rows.map((r) => [r.i as number, committedRow(r)]));
    return batch.map((_, i) => applied.get(i) ?? null);
  }

  /** A transition with an operator's audit entry or outbox rows, written in
   * the same statement. */
  private async commitWithExtras(t: Transition): Promise<Committed | null> {
    return committedOf(
      await preparedQuery(this.db, 'commit_one_extras', COMMIT_ONE_WITH_EXTRAS_SQL, [
        ...transitionValues(t),
        JSON.stringify(t.audit ? [{ ...t.audit, details: t.audit.details ?? null }] : []),
        JSON.stringify(t.outbox),
      ]),
    );
  }
}

/** What the commit of one transition took, or null when it did not apply. */
function committedOf(rows: Record<string, unknown>[]): Committed | null {
  return rows.length === 0 ? null : committedRow(rows[0]);
}

function committedRow(row: Record<string, unknown>): Committed {
  return { at: row.at as Date, claims: (row.claims as Record<string, number> | null) ?? {} };
}

/** The transaction still shows `claim` as the carried claim of the call,
 * owed and not claimed over by a worker. */
function holdsCarried(record: TransactionRecord, call: CallRef, claim: number): boolean {
  if (!IN_FLIGHT_STATUSES.includes(record.status)) return false;
  const step = record.steps.find((s) => s.name === call.step);
  return !!step && step.preclaimed && step.claim === claim && step.phase === call.phase && step.attempt === call.attempt && step.dueAt !== null;
}

/** One transition in plain parameters, in the order of TRANSITION_FIELDS:
 * jsonb fields as their text. */
function transitionValues(t: Transition): unknown[] {
  const request = transitionRequest(t);
  return (Object.keys(TRANSITION_FIELDS) as (keyof typeof TRANSITION_FIELDS)[]).map((name) =>
    TRANSITION_FIELDS[name] === 'jsonb' ? JSON.stringify(request[name]) : request[name],
  );
}
