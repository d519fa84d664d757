import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { CLAIM_BATCH_SQL, CLAIM_ONE_SQL, createDataSource, runMigrations, TransactionQueryStore, TransactionStore } from '@accord/persistence';
import { seedFinishedRows } from '../bench/seed-finished-rows';
import { createTestDatabase } from '../support/test-env';

/**
 * Finished transactions pile up; what runs all the time must not read them.
 * A database with many finished sagas and statistics taken while no call was
 * due (a VACUUM ANALYZE at a quiet moment): the claim's plans, and the
 * counts the console polls.
 */
describe('plans over many finished transactions', () => {
  let url: string;
  let db: DataSource;
  let client: Client;

  /** The plan of `sql` with `values`, generic (as a prepared statement gets after five runs), in a rolled-back transaction. */
  const genericPlan = async (sql: string, values: (string | number | boolean | null)[]): Promise<string> => {
    const name = `p${randomUUID().replace(/-/g, '')}`;
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
      await client.query(`PREPARE ${name} AS ${sql}`);
      const literals = values.map((v) => (v === null ? 'NULL' : typeof v === 'number' || typeof v === 'boolean' ? String(v) : client.escapeLiteral(v)));
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}(${literals.join(', ')})`);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.query('ROLLBACK');
      await client.query(`DEALLOCATE ${name}`).catch(() => undefined);
    }
  };

  beforeAll(async () => {
    url = await createTestDatabase('finished_rows');
    db = createDataSource({ url, poolSize: 4 });
    await db.initialize();
    await runMigrations(db);
    await seedFinishedRows(url, 20_000, () => undefined);
    client = new Client({ connectionString: url });
    await client.connect();
  }, 120_000);

  afterAll(async () => {
    await client.end();
    await db.destroy();
  });

  it('claims a step by primary key, never by reading the due index whole', async () => {
    const id = randomUUID();
    const one = await genericPlan(CLAIM_ONE_SQL, [id, 's1', 'action', 1, -1, null, false]);
    const batch = await genericPlan(CLAIM_BATCH_SQL, [JSON.stringify([{ i: 0, id, name: 's1', phase: 'action', attempt: 1, known: -1, token: null, fresh: false }]), 1]);
    for (const plan of [one, batch]) {
      expect(plan).not.toContain('steps_due_idx');
      expect(plan).not.toMatch(/Seq Scan on (steps|transactions)/);
    }
  });

  it('counts each status up to the limit', async () => {
    const store = new TransactionStore(db);
    await store.insert({
      id: randomUUID(), definitionName: 'bench-3step', definitionVersion: 1, spec: null, type: 'saga', status: 'STUCK', direction: 'forward',
      input: {}, deadlineAt: null, traceparent: null, tracestate: null, steps: [], idempotency: null,
    });
    const counts = await new TransactionQueryStore(db).countsByStatus({ definition: 'bench-3step' }, 1000);
    expect(counts.get('COMPLETED')).toBe(1000);
    expect(counts.get('STUCK')).toBe(1);
    expect(counts.get('RUNNING')).toBe(0);
  });
});
