import type { ParticipantCall, Phase } from '@accord/contracts';
import type { Pool } from 'pg';
import type { BarrierConnection, BarrierDatabase } from './barrier-database';
import { BARRIER_ERROR_CODES, refusalBody, type BarrierResult, type RefusalBody } from './barrier-result';
import { BARRIER_DDL, BARRIER_TABLE, type BarrierOutcome } from './barrier-schema';
import { BusinessRefusal, TransientFailure } from './participant-errors';
import { pgDatabase, type PgSession } from './pg.barrier-database';

/** Which call a barrier row belongs to. */
export type BarrierKey = Pick<ParticipantCall, 'transactionId' | 'step' | 'phase'>;

/** What the business function gets: the session of the barrier's open
 * transaction (`client` on pg, `manager` on TypeORM) — do every business write
 * through it, so the writes and the barrier row commit or roll back together. */
export type BarrierContext<Session = PgSession> = Session & {
  /** For compensation/cancel/confirm: what the action/try returned (as
   * stored, i.e. after a JSON round trip). `undefined` for action/try. */
  forwardResult: unknown;
};

/** The participant's business change. Throw BusinessRefusal to refuse (409,
 * recorded); anything else rolls back and answers 503 (not recorded). */
export type BusinessFn<Session = PgSession> = (context: BarrierContext<Session>) => Promise<unknown>;

/** The barrier's SQL runs on the connection, never on the business session. */
type Connection = BarrierConnection<unknown>;

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
 *
 * `new Barrier(pool)` on a pg Pool; `new Barrier(typeormDatabase(dataSource))`
 * (from `@accord/participant/typeorm`) on a TypeORM DataSource.
 */
export class Barrier<Session extends object = PgSession> {
  private readonly database: BarrierDatabase<Session>;

  constructor(database: BarrierDatabase<Session> | (PgSession extends Session ? Pool : never)) {
    this.database = 'open' in database ? database : (pgDatabase(database) as unknown as BarrierDatabase<Session>);
  }

  /** Creates the barrier table if missing; safe from many processes at once. */
  async install(): Promise<void> {
    await this.inTransaction(async (connection) => {
      // CREATE TABLE IF NOT EXISTS alone still collides in the catalog when
      // two participants start together.
      await connection.query('SELECT pg_advisory_xact_lock(hashtext($1))', [BARRIER_TABLE]);
      await connection.query(BARRIER_DDL);
      return { commit: true, result: undefined };
    });
  }

  /** Runs `fn` at most once per (transaction, step, phase) and answers every
   * call for it the same way. Throws only when the barrier's own SQL fails. */
  async run(key: BarrierKey, fn: BusinessFn<Session>): Promise<BarrierResult> {
    return this.inTransaction((connection) => {
      switch (key.phase) {
        case 'action':
        case 'try':
          return this.forward(connection, key, fn);
        case 'compensation':
        case 'cancel':
          return this.backward(connection, key, FORWARD_PHASE_OF[key.phase], fn);
        case 'confirm':
          return this.confirm(connection, key, fn);
      }
    });
  }

  private async forward(connection: BarrierConnection<Session>, key: BarrierKey, fn: BusinessFn<Session>): Promise<Decision> {
    if (await this.claim(connection, key, 'pending')) return this.execute(connection, key, fn, undefined);
    return { commit: false, result: replay(await this.read(connection, key)) };
  }

  private async backward(connection: BarrierConnection<Session>, key: BarrierKey, forwardPhase: Phase, fn: BusinessFn<Session>): Promise<Decision> {
    const forwardKey = { ...key, phase: forwardPhase };
    if (await this.claim(connection, forwardKey, 'prevented')) {
      // The action never ran, and now never will: record both halves.
      await this.insert(connection, key, 'null');
      return { commit: true, result: { kind: 'null-compensation', status: 200, body: null } };
    }
    if (!(await this.claim(connection, key, 'pending'))) return { commit: false, result: replay(await this.read(connection, key)) };

    const forward = await this.read(connection, forwardKey);
    switch (forward.outcome) {
      case 'ok':
        return this.execute(connection, key, fn, forward.result);
      case 'refused':
        await this.settle(connection, key, 'noop', null);
        return { commit: true, result: { kind: 'noop', status: 200, body: null } };
      case 'pending':
      case 'prevented':
      case 'null':
      case 'noop':
        // A marker always comes with its backward row, which we just claimed.
        throw new Error(`barrier: ${forwardPhase} row of ${describe(key)} is '${forward.outcome}'`);
    }
  }

  private async confirm(connection: BarrierConnection<Session>, key: BarrierKey, fn: BusinessFn<Session>): Promise<Decision> {
    if (!(await this.claim(connection, key, 'pending'))) return { commit: false, result: replay(await this.read(connection, key)) };
    const tried = await this.find(connection, { ...key, phase: 'try' });
    if (tried?.outcome !== 'ok') {
      // Not recorded: if the try does succeed later, a replayed confirm must still work.
      const body = refusalBody(BARRIER_ERROR_CODES.confirmWithoutTry, `confirm of ${describe(key)} without a successful try`);
      return { commit: false, result: { kind: 'confirm-without-try', status: 409, body } };
    }
    return this.execute(connection, key, fn, tried.result);
  }

  /** Runs the business change after the barrier row is claimed, and records its outcome. */
  private async execute(connection: BarrierConnection<Session>, key: BarrierKey, fn: BusinessFn<Session>, forwardResult: unknown): Promise<Decision> {
    await connection.query(`SAVEPOINT ${SAVEPOINT}`);
    let output: unknown;
    try {
      output = await fn({ ...connection.session, forwardResult });
    } catch (error) {
      if (!(error instanceof BusinessRefusal)) {
        const retryAfterSeconds = error instanceof TransientFailure ? error.retryAfterSeconds : undefined;
        const message = error instanceof Error ? error.message : String(error);
        const body = refusalBody(BARRIER_ERROR_CODES.transient, message);
        return { commit: false, result: { kind: 'failed', status: 503, body, error, retryAfterSeconds } };
      }
      // Keep the barrier row, drop whatever the function wrote before refusing.
      await connection.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
      const body = await this.settle(connection, key, 'refused', refusalBody(error.code, error.message, error.details));
      return { commit: true, result: { kind: 'refused', status: 409, body: body as RefusalBody } };
    }
    // Answer with the stored JSON, so the first answer and a duplicate's are identical.
    const body = await this.settle(connection, key, 'ok', output);
    return { commit: true, result: { kind: 'applied', status: 200, body } };
  }

  /** Inserts the row unless it exists; waits for a concurrent inserter to finish first. */
  private async claim(connection: Connection, key: BarrierKey, outcome: BarrierOutcome): Promise<boolean> {
    const { rowCount } = await connection.query(
      `INSERT INTO ${BARRIER_TABLE} (transaction_id, step, phase, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
      [key.transactionId, key.step, key.phase, outcome],
    );
    return rowCount === 1;
  }

  private async insert(connection: Connection, key: BarrierKey, outcome: BarrierOutcome): Promise<void> {
    await connection.query(`INSERT INTO ${BARRIER_TABLE} (transaction_id, step, phase, outcome) VALUES ($1, $2, $3, $4)`, [
      key.transactionId,
      key.step,
      key.phase,
      outcome,
    ]);
  }

  private async settle(connection: Connection, key: BarrierKey, outcome: BarrierOutcome, result: unknown): Promise<unknown> {
    const { rows } = await connection.query<{ result: unknown }>(
      `UPDATE ${BARRIER_TABLE} SET outcome = $4, result = $5::jsonb
        WHERE transaction_id = $1 AND step = $2 AND phase = $3 RETURNING result`,
      // Stringified by hand: pg would turn a JS array into a Postgres array literal.
      [key.transactionId, key.step, key.phase, outcome, JSON.stringify(result) ?? 'null'],
    );
    return rows[0]?.result ?? null;
  }

  private async find(connection: Connection, key: BarrierKey): Promise<BarrierRow | undefined> {
    const { rows } = await connection.query<BarrierRow>(
      `SELECT outcome, result FROM ${BARRIER_TABLE} WHERE transaction_id = $1 AND step = $2 AND phase = $3`,
      [key.transactionId, key.step, key.phase],
    );
    return rows[0];
  }

  /** The row a failed claim ran into. Under READ COMMITTED each statement
   * sees what the conflicting transaction committed while we waited. */
  private async read(connection: Connection, key: BarrierKey): Promise<BarrierRow> {
    const row = await this.find(connection, key);
    if (!row) throw new Error(`barrier: row of ${describe(key)} vanished after a conflict`);
    return row;
  }

  private async inTransaction<T>(work: (connection: BarrierConnection<Session>) => Promise<{ result: T; commit: boolean }>): Promise<T> {
    const connection = await this.database.open();
    let broken: Error | undefined;
    try {
      await connection.begin();
      const { result, commit } = await work(connection);
      await (commit ? connection.commit() : connection.rollback());
      return result;
    } catch (error) {
      await connection.rollback().catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      connection.release(broken);
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
