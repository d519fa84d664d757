import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { purgeExpired } from '@accord/dispatch';
import { createDataSource, RetentionStore, runMigrations, TransactionStore } from '@accord/persistence';
import { createTestDatabase } from '../support/test-env';

describe('retention', () => {
  let db: DataSource;
  let store: TransactionStore;

  /** A transaction with one step, an attempt and an idempotency key, then
   * moved to `status`, finished `daysAgo` days ago (null: not finished). */
  const seed = async (status: string, daysAgo: number | null): Promise<string> => {
    const id = randomUUID();
    await store.insert({
      id, definitionName: null, definitionVersion: null, spec: { type: 'saga', steps: [] },
      type: 'saga', status: 'RUNNING', direction: 'forward', input: {}, deadlineAt: null, traceparent: null, tracestate: null,
      steps: [{ name: 'a', status: 'PENDING', phase: null, attempt: 0, attemptBase: 0, dueAt: null, mayHaveApplied: false,
        input: null, output: null, lastError: null, leaseMs: 0, preclaim: false }],
      idempotency: { key: `key-${id}`, requestHash: 'h' },
    });
    await store.logAttempt({
      transactionId: id, step: 'a', phase: 'action', attempt: 1, claim: 1, startedAt: Date.now(), latencyMs: 1,
      outcome: 'ok', statusCode: 200, error: null, request: null, applied: true, budgetExhausted: false, worker: 'test',
    });
    await db.query(
      `UPDATE transactions SET status = $2, finished_at = CASE WHEN $3::int IS NULL THEN NULL ELSE now() - make_interval(days => $3) END
       WHERE id = $1`,
      [id, status, daysAgo],
    );
    return id;
  };

  const count = async (table: string, column: string, ids: string[]) =>
    (await db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = ANY($1::uuid[])`, [ids]))[0].n as number;

  beforeAll(async () => {
    db = createDataSource({ url: await createTestDatabase('retention'), poolSize: 4 });
    await db.initialize();
    await runMigrations(db);
    store = new TransactionStore(db);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('deletes finished transactions older than the limit with their steps, attempts and keys, in batches, and keeps the rest', async () => {
    const old = [
      await seed('COMPLETED', 40), await seed('COMPENSATED', 35), await seed('CONFIRMED', 31),
      await seed('CANCELLED', 60), await seed('RESOLVED', 90),
    ];
    const kept = [await seed('COMPLETED', 5), await seed('STUCK', null), await seed('RUNNING', null)];
    expect(await purgeExpired(new RetentionStore(db), 30, { batchSize: 2 })).toBe(5);
    expect(await count('transactions', 'id', old)).toBe(0);
    expect(await count('steps', 'transaction_id', old)).toBe(0);
    expect(await count('attempts', 'transaction_id', old)).toBe(0);
    expect(await count('idempotency_keys', 'transaction_id', old)).toBe(0);
    expect(await count('transactions', 'id', kept)).toBe(3);
    expect(await count('steps', 'transaction_id', kept)).toBe(3);
    expect(await count('attempts', 'transaction_id', kept)).toBe(3);
    expect(await purgeExpired(new RetentionStore(db), 30, { batchSize: 2 })).toBe(0);
  });
});
