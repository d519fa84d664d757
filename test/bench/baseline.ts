/**
 * The bench's same-work baseline: the durable work Accord does for a
 * sequential 3-step saga (leases with fencing tokens, version-checked
 * transitions, the attempt log), written by hand with no framework around it
 * (baseline-harness.ts).
 *
 * Statements are prepared (named), as a careful hand-written service would
 * do; BENCH_BASELINE_PREPARED=0 sends them unnamed.
 *
 * Per saga:
 *   start:  one statement inserts the transaction and its 3 steps (step 1 due),
 *           then the step-1 job is enqueued (deterministic job id).
 *   job:    claim the step (lease + fencing token, one UPDATE), call the
 *           participant, then one statement: version-checked UPDATE of the
 *           transaction, UPDATE of the finished and the next step, INSERT of
 *           the attempt-log row; after the commit, enqueue the next step's job.
 *           The last step marks the transaction COMPLETED (finished_at).
 */
import { INSERT_SAGA_SQL, runBaselineProcess, STEPS } from './baseline-harness';

const LEASE_MS = 15_000;
const INSERT_SQL = INSERT_SAGA_SQL('bench-baseline', LEASE_MS);

const CLAIM_SQL = `
  UPDATE steps s SET lease_until = now() + make_interval(secs => s.lease_ms / 1000.0), claim = s.claim + 1
  FROM transactions t
  WHERE s.transaction_id = $1 AND s.name = $2 AND s.phase = 'action' AND s.attempt = $3 AND s.due_at IS NOT NULL
    AND (s.lease_until IS NULL OR s.lease_until < now()) AND t.id = s.transaction_id AND t.status = 'RUNNING'
  RETURNING s.claim, s.input, t.version`;

// $1 id, $2 expected version, $3 finished step, $4 next step (or null), $5 output,
// $6 claim, $7 started_at, $8 latency, $9 status code, $10 worker
const COMMIT_SQL = `
  WITH t AS (
    UPDATE transactions SET status = CASE WHEN $4::text IS NULL THEN 'COMPLETED' ELSE status END,
      version = version + 1, updated_at = now(), finished_at = CASE WHEN $4::text IS NULL THEN now() END
    WHERE id = $1 AND version = $2 RETURNING id),
  s AS (
    UPDATE steps SET
      status = CASE WHEN steps.name = $3 THEN 'SUCCEEDED' ELSE 'RUNNING' END,
      phase = CASE WHEN steps.name = $3 THEN NULL ELSE 'action' END,
      attempt = CASE WHEN steps.name = $3 THEN steps.attempt ELSE 1 END,
      due_at = CASE WHEN steps.name = $3 THEN NULL ELSE now() END,
      output = CASE WHEN steps.name = $3 THEN $5::jsonb ELSE steps.output END,
      lease_until = NULL, updated_at = now()
    FROM t WHERE steps.transaction_id = t.id AND steps.name IN ($3, $4) RETURNING 1),
  a AS (
    INSERT INTO attempts (transaction_id, step, phase, attempt, claim, started_at, latency_ms, outcome, status_code, request,
      applied, worker)
    SELECT t.id, $3, 'action', 1, $6, $7::timestamptz, $8, 'ok', $9, '{"method":"POST"}'::jsonb, true, $10 FROM t RETURNING 1)
  SELECT count(*)::int AS n FROM t`;

runBaselineProcess('bench-baseline', ({ db, sql, enqueue, call, finished, worker }) => ({
  start: async (id, input) => {
    await db.query(sql('bench_insert', INSERT_SQL, [id, JSON.stringify(input)]));
    await enqueue({ t: id, i: 0, a: 1 });
  },
  runStep: async (job) => {
    const step = STEPS[job.i];
    const claimed = await db.query<{ claim: number; input: unknown; version: number }>(sql('bench_claim', CLAIM_SQL, [job.t, step, job.a]));
    const row = claimed.rows[0];
    if (!row) return;
    const startedAt = Date.now();
    const started = performance.now();
    const res = await call(job, row.input);
    const latency = Math.round(performance.now() - started);
    const next = job.i + 1 < STEPS.length ? STEPS[job.i + 1] : null;
    const committed = await db.query<{ n: number }>(
      sql('bench_commit', COMMIT_SQL, [
        job.t, row.version, step, next, res.text || 'null', row.claim, new Date(startedAt).toISOString(), latency, res.statusCode, worker,
      ]),
    );
    if (committed.rows[0].n !== 1) throw new Error(`lost race on ${job.t}`);
    if (next) await enqueue({ t: job.t, i: job.i + 1, a: 1 });
    else finished(job.t);
  },
}));
