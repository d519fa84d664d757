import type { ParticipantCall, Phase } from '@accord/contracts';
import type { Pool, PoolClient } from 'pg';
import { BARRIER_ERROR_CODES, refusalBody, type BarrierResult, type RefusalBody } from './barrier-result';
import { BARRIER_DDL, BARRIER_TABLE, type BarrierOutcome } from './barrier-schema';
import { BusinessRefusal, TransientFailure } from './participant-errors';

/** Which call a barrier row belongs to. */
export type BarrierKey = Pick<ParticipantCall, 'transactionId' | 'step' | 'phase'>;

export interface BarrierContext {
  /** The barrier's open transaction: do every business write through it, so
   * the writes and the barrier row commit or roll back together. */
  client: PoolClient;
  /** For compensation/cancel/confirm: what the action/try returned (as
   * stored, i.e. after a JSON round trip). `undefined` for action/try. */
  forwardResult: unknown;
}

/** The participant's business change. Throw BusinessRefusal to refuse (409,
 * recorded); anything else rolls back and answers 503 (not recorded). */
export type BusinessFn = (context: BarrierContext) => Promise<unknown>;

/** The forward phase a backward phase undoes: its marker goes on that row. */
const FORWARD_PHASE_OF = { compensation: 'action', cancel: 'try' } as const satisfies Partial<Record<Phase, Phase>>;

interface BarrierRow {
  outcome: BarrierOutcome;
  result: unknown;
}

/** A result, and whether the transaction's writes are kept. */
interface Decision {
  result: BarrierResult;
  commit: boolean;
}

const SAVEPOINT = 'accord_business';

/**
 * Turns the coordinator's at-least-once calls into exactly-once effects, in
 * the participant's own Postgres: every call's decision is a row of
 * `accord_barrier`, written in the same local transaction as the business
 * change. A second call for the same (transaction, step, phase) hits the
 * primary key — waiting for the first one if it is still running — and gets
 * the first answer back. A compensation/cancel that finds no action/try
 * leaves a marker in its place (null compensation), so the late action/try is
 * refused (hanging). See BarrierResult for every answer.
 */
export class Barrier {
  constructor(private readonly pool: Pool) {}

  /** Creates the barrier table if missing; safe from many processes at once. */
  async install(): Promise<void> {
    await this.inTransaction(async (client) => {
      // CREATE TABLE IF NOT EXISTS alone still collides in the catalog when
      // two participants start together.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [BARRIER_TABLE]);
      await client.query(BARRIER_DDL);
      return { commit: true, result: undefined };
    });
  }

  /** Runs `fn` at most once per (transaction, step, phase) and answers every
   * call for it the same way. Throws only when the barrier's own SQL fails. */
  async run(key: BarrierKey, fn: BusinessFn): Promise<BarrierResult> {
    return this.inTransaction((client) => {
      switch (key.phase) {
        case 'action':
        case 'try':
          return this.forward(client, key, fn);
        case 'compensation':
        case 'cancel':
          return this.backward(client, key, FORWARD_PHASE_OF[key.phase], fn);
        case 'confirm':
          return this.confirm(client, key, fn);
      }
    });
  }

  private async forward(client: PoolClient, key: BarrierKey, fn: BusinessFn): Promise<Decision> {
    if (await this.claim(client, key, 'pending')) return this.execute(client, key, fn, undefined);
    return { commit: false, result: replay(await this.read(client, key)) };
  }

  private async backward(client: PoolClient, key: BarrierKey, forwardPhase: Phase, fn: BusinessFn): Promise<Decision> {
    const forwardKey = { ...key, phase: forwardPhase };
    if (await this.claim(client, forwardKey, 'prevented')) {
      // The action never ran, and now never will: record both halves.
      await this.insert(client, key, 'null');
      return { commit: true, result: { kind: 'null-compensation', status: 200, body: null } };
    }
    if (!(await this.claim(client, key, 'pending'))) return { commit: false, result: replay(await this.read(client, key)) };

    const forward = await this.read(client, forwardKey);
    switch (forward.outcome) {
      case 'ok':
        return this.execute(client, key, fn, forward.result);
      case 'refused':
        await this.settle(client, key, 'noop', null);
        return { commit: true, result: { kind: 'noop', status: 200, body: null } };
      case 'pending':
      case 'prevented':
      case 'null':
      case 'noop':
        // A marker always comes with its backward row, which we just claimed.
        throw new Error(`barrier: ${forwardPhase} row of ${describe(key)} is '${forward.outcome}'`);
    }
  }

  private async confirm(client: PoolClient, key: BarrierKey, fn: BusinessFn): Promise<Decision> {
    if (!(await this.claim(client, key, 'pending'))) return { commit: false, result: replay(await this.read(client, key)) };
    const tried = await this.find(client, { ...key, phase: 'try' });
    if (tried?.outcome !== 'ok') {
      // Not recorded: if the try does succeed later, a replayed confirm must still work.
      const body = refusalBody(BARRIER_ERROR_CODES.confirmWithoutTry, `confirm of ${describe(key)} without a successful try`);
      return { commit: false, result: { kind: 'confirm-without-try', status: 409, body } };
    }
    return this.execute(client, key, fn, tried.result);
  }

  /** Runs the business change after the barrier row is claimed, and records its outcome. */
  private async execute(client: PoolClient, key: BarrierKey, fn: BusinessFn, forwardResult: unknown): Promise<Decision> {
    await client.query(`SAVEPOINT ${SAVEPOINT}`);
    let output: unknown;
    try {
      output = await fn({ client, forwardResult });
    } catch (error) {
      if (!(error instanceof BusinessRefusal)) {
        const retryAfterSeconds = error instanceof TransientFailure ? error.retryAfterSeconds : undefined;
        const message = error instanceof Error ? error.message : String(error);
        const body = refusalBody(BARRIER_ERROR_CODES.transient, message);
        return { commit: false, result: { kind: 'failed', status: 503, body, error, retryAfterSeconds } };
      }
      // Keep the barrier row, drop whatever the function wrote before refusing.
      await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      const body = await this.settle(client, key, 'refused', refusalBody(error.code, error.message, error.details));
      return { commit: true, result: { kind: 'refused', status: 409, body: body as RefusalBody } };
    }
    // Answer with the stored JSON, so the first answer and a duplicate's are identical.
    const body = await this.settle(client, key, 'ok', output);
    return { commit: true, result: { kind: 'applied', status: 200, body } };
  }

  /** Inserts the row unless it exists; waits for a concurrent inserter to finish first. */
  private async claim(client: PoolClient, key: BarrierKey, outcome: BarrierOutcome): Promise<boolean> {
    const { rowCount } = await client.query(
      `INSERT INTO ${BARRIER_TABLE} (transaction_id, step, phase, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [key.transactionId, key.step, key.phase, outcome],
    );
    return rowCount === 1;
  }

  private async insert(client: PoolClient, key: BarrierKey, outcome: BarrierOutcome): Promise<void> {
    await client.query(`INSERT INTO ${BARRIER_TABLE} (transaction_id, step, phase, outcome) VALUES ($1, $2, $3, $4)`, [
      key.transactionId,
      key.step,
      key.phase,
      outcome,
    ]);
  }

  private async settle(client: PoolClient, key: BarrierKey, outcome: BarrierOutcome, result: unknown): Promise<unknown> {
    const { rows } = await client.query<{ result: unknown }>(
      `UPDATE ${BARRIER_TABLE} SET outcome = $4, result = $5::jsonb
        WHERE transaction_id = $1 AND step = $2 AND phase = $3 RETURNING result`,
      // Stringified by hand: pg would turn a JS array into a Postgres array literal.
      [key.transactionId, key.step, key.phase, outcome, JSON.stringify(result) ?? 'null'],
    );
    return rows[0]?.result ?? null;
  }

  private async find(client: PoolClient, key: BarrierKey): Promise<BarrierRow | undefined> {
    const { rows } = await client.query<BarrierRow>(
      `SELECT outcome, result FROM ${BARRIER_TABLE} WHERE transaction_id = $1 AND step = $2 AND phase = $3`,
      [key.transactionId, key.step, key.phase],
    );
    return rows[0];
  }

  /** The row a failed claim ran into. Under READ COMMITTED each statement
   * sees what the conflicting transaction committed while we waited. */
  private async read(client: PoolClient, key: BarrierKey): Promise<BarrierRow> {
    const row = await this.find(client, key);
    if (!row) throw new Error(`barrier: row of ${describe(key)} vanished after a conflict`);
    return row;
  }

  private async inTransaction<T>(work: (client: PoolClient) => Promise<{ result: T; commit: boolean }>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      // Explicit, whatever the server default: REPEATABLE READ would turn the
      // wait on a conflicting INSERT into a serialization error.
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      const { result, commit } = await work(client);
      await client.query(commit ? 'COMMIT' : 'ROLLBACK');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      // A connection that cannot roll back is discarded, not reused mid-transaction.
      client.release(broken);
    }
  }
}

/** The answer to a call whose phase was already decided. */
function replay(row: BarrierRow): BarrierResult {
  switch (row.outcome) {
    case 'ok':
      return { kind: 'duplicate', first: 'applied', status: 200, body: row.result };
    case 'refused':
      return { kind: 'duplicate', first: 'refused', status: 409, body: row.result };
    case 'null':
      return { kind: 'duplicate', first: 'null-compensation', status: 200, body: null };
    case 'noop':
      return { kind: 'duplicate', first: 'noop', status: 200, body: null };
    case 'prevented': {
      const body = refusalBody(BARRIER_ERROR_CODES.hanging, 'the compensation/cancel of this step already ran; refusing the late call');
      return { kind: 'hanging', status: 409, body };
    }
    case 'pending':
      throw new Error("barrier: saw another transaction's pending row");
  }
}

function describe(key: BarrierKey): string {
  return `${key.transactionId}/${key.step}/${key.phase}`;
}
