/**
 * Writes finished transactions straight into a migrated database, as the
 * coordinator leaves a 3-step saga of SEED_DEFINITION that COMPLETED: its
 * row, three steps, three attempts and the idempotency key the client sent,
 * inputs and outputs of about 100 bytes, finished over the past
 * BENCH_ROWS_DAYS (30) days, oldest first (so the heap is in time order, as
 * a real one). Set-based, BENCH_ROWS_CHUNK (500 000) transactions a statement.
 */
import { Client } from 'pg';
import { num } from './bench-process';

export const SEED_DEFINITION = 'bench-3step';

const CHUNK = Math.max(1, num('BENCH_ROWS_CHUNK', 500_000));
const DAYS = num('BENCH_ROWS_DAYS', 30);

/** Transactions $1..$2 of $3, finished over the past $4 days; $5 the definition. */
const SEED_SQL = `
  WITH t AS (
    INSERT INTO transactions (id, definition_name, definition_version, type, status, direction, pivot_passed, input, version,
      traceparent, rollback_reason, stuck_reason, created_at, updated_at, finished_at)
    SELECT gen_random_uuid(), $5, 1, 'saga', 'COMPLETED', 'forward', false,
      jsonb_build_object('orderId', 'ord-' || lpad(g::text, 10, '0'), 'customer', 'cus-' || (g % 100003), 'amount', (g * 7919) % 100000,
        'currency', 'EUR', 'items', 1 + g % 5),
      3, '00-' || md5(g::text) || '-' || left(md5(g::text || 's'), 16) || '-01', 'null', 'null', f - interval '320 ms', f, f
    FROM generate_series($1::bigint, $2::bigint) g,
      LATERAL (SELECT now() - make_interval(secs => $4 * 86400.0 * ($3 - g) / $3) AS f) x
    RETURNING id, input, created_at),
  s AS (
    INSERT INTO steps (transaction_id, name, idx, status, phase, attempt, attempt_base, due_at, lease_until, lease_ms, claim,
      may_have_applied, input, output, last_error, updated_at)
    SELECT t.id, 's' || k, k - 1, 'SUCCEEDED', 'action', 1, 0, NULL, t.created_at + make_interval(secs => 15 + k * 0.1), 15000, 1,
      true, t.input, jsonb_build_object('reservation', 'res-' || md5(t.id::text || k), 'state', 'confirmed', 'warehouse', 'wh-' || k),
      NULL, t.created_at + make_interval(secs => k * 0.1)
    FROM t, generate_series(1, 3) k),
  a AS (
    INSERT INTO attempts (transaction_id, step, phase, attempt, claim, started_at, latency_ms, outcome, status_code, error,
      request, applied, budget_exhausted, worker)
    SELECT t.id, 's' || k, 'action', 1, 1, t.created_at + make_interval(secs => k * 0.1 - 0.09), 20 + k * 17, 'ok', 200, NULL,
      jsonb_build_object('url', 'http://inventory.internal:8080/s' || k, 'method', 'POST'), true, false, 'coordinator-7f9c#1'
    FROM t, generate_series(1, 3) k),
  i AS (
    INSERT INTO idempotency_keys (key, request_hash, transaction_id, created_at)
    SELECT gen_random_uuid()::text, md5(t.id::text) || md5(t.created_at::text), t.id, t.created_at FROM t)
  SELECT count(*)::int AS n FROM t`;

/** Seeds `rows` transactions, then VACUUM ANALYZE; answers the bytes of the tables with their indexes. */
export async function seedFinishedRows(databaseUrl: string, rows: number, progress: (line: string) => void): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = performance.now();
    for (let first = 1; first <= rows; first += CHUNK) {
      const last = Math.min(rows, first + CHUNK - 1);
      await client.query(SEED_SQL, [first, last, rows, DAYS, SEED_DEFINITION]);
      const perSecond = (last * 1000) / (performance.now() - started);
      progress(`seeded ${last} of ${rows} finished transactions, ${perSecond.toFixed(0)}/s, ${((rows - last) / perSecond / 60).toFixed(1)} min to go`);
    }
    const vacuumStarted = performance.now();
    await client.query('VACUUM ANALYZE');
    progress(`VACUUM ANALYZE: ${((performance.now() - vacuumStarted) / 1000).toFixed(0)} s`);
    const { rows: size } = await client.query<{ bytes: string }>(
      `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname = 'public'`,
    );
    return Number(size[0].bytes);
  } finally {
    await client.end();
  }
}
