/**
 * The bench's baseline: the minimum durable work of a sequential 3-step saga,
 * written by hand with no framework around it — a pg Pool, a BullMQ
 * Queue/Worker and an undici Pool. It writes the coordinator's own tables
 * (the database is migrated with the product's migration first), so the
 * comparison is about the code on the hot path, not the schema.
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
 *
 * Run as a child process by run.ts. Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX,
 * PARTICIPANT_URL, BENCH_N, BENCH_WARMUP, BENCH_CONCURRENCY,
 * BENCH_WORKER_CONCURRENCY, BENCH_POOL_SIZE, BENCH_TAG. Prints one line
 * `warm` after the warm-up and `result {"elapsedMs":…,"cpuMs":…,"completed":…}` on stdout.
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Pool } from 'pg';
import { Pool as HttpPool } from 'undici';

interface Job {
  t: string;
  /** step index */
  i: number;
  a: number;
}

const STEPS = ['s1', 's2', 's3'];
const LEASE_MS = 15_000;

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const db = new Pool({ connectionString: env('DATABASE_URL'), max: Number(env('BENCH_POOL_SIZE', '20')), application_name: 'bench-baseline' });
const redis = new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: null });
const workerRedis = new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: null });
const prefix = `{${env('QUEUE_PREFIX')}}`;
const queue = new Queue<Job>('steps', { connection: redis, prefix });
const participant = new URL(env('PARTICIPANT_URL'));
const http = new HttpPool(participant.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 10_000 });
const waiters = new Map<string, () => void>();
const worker = `${process.pid}`;

/** BENCH_BASELINE_PREPARED=0: send the statements unnamed (parsed and planned
 * on every call), as TypeORM's query() does. */
const PREPARED = process.env.BENCH_BASELINE_PREPARED !== '0';
const sql = (name: string, text: string, values: unknown[]) => (PREPARED ? { name, text, values } : { text, values });

const jobId = (job: Job) => `${job.t}.${STEPS[job.i]}.action.${job.a}`;

async function enqueue(job: Job): Promise<void> {
  await queue.add('action', job, { jobId: jobId(job), removeOnComplete: true, removeOnFail: true });
}

const INSERT_SQL = `
  WITH t AS (
    INSERT INTO transactions (id, definition_name, definition_version, type, status, direction, input)
    VALUES ($1, 'bench-baseline', 1, 'saga', 'RUNNING', 'forward', $2::jsonb) RETURNING id)
  INSERT INTO steps (transaction_id, idx, name, status, phase, attempt, due_at, lease_ms, input)
  SELECT t.id, x.idx, x.name, x.status, x.phase, x.attempt, x.due_at, ${LEASE_MS}, $2::jsonb
  FROM t, (VALUES (0, 's1', 'RUNNING', 'action', 1, now()), (1, 's2', 'PENDING', NULL, 0, NULL::timestamptz),
                  (2, 's3', 'PENDING', NULL, 0, NULL::timestamptz)) AS x(idx, name, status, phase, attempt, due_at)`;

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

async function startSaga(tag: string): Promise<void> {
  const id = randomUUID();
  const done = new Promise<void>((resolve) => waiters.set(id, resolve));
  await db.query(sql('bench_insert', INSERT_SQL, [id, JSON.stringify({ bench: tag })]));
  await enqueue({ t: id, i: 0, a: 1 });
  await done;
}

async function runStep(job: Job): Promise<void> {
  const step = STEPS[job.i];
  const claimed = await db.query(sql('bench_claim', CLAIM_SQL, [job.t, step, job.a]));
  const row = claimed.rows[0] as { claim: number; input: unknown; version: number } | undefined;
  if (!row) return;
  const startedAt = Date.now();
  const started = performance.now();
  const res = await http.request({
    path: participant.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `${job.t}.${step}.action` },
    body: JSON.stringify({ transactionId: job.t, step, phase: 'action', attempt: job.a, input: row.input }),
  });
  const text = await res.body.text();
  const latency = Math.round(performance.now() - started);
  if (res.statusCode !== 200) throw new Error(`participant answered ${res.statusCode}`);
  const next = job.i + 1 < STEPS.length ? STEPS[job.i + 1] : null;
  const committed = await db.query(
    sql('bench_commit', COMMIT_SQL, [
      job.t, row.version, step, next, text || 'null', row.claim, new Date(startedAt).toISOString(), latency, res.statusCode, worker,
    ]),
  );
  if ((committed.rows[0] as { n: number }).n !== 1) throw new Error(`lost race on ${job.t}`);
  if (next) await enqueue({ t: job.t, i: job.i + 1, a: 1 });
  else {
    waiters.get(job.t)?.();
    waiters.delete(job.t);
  }
}

async function runSagas(count: number, concurrency: number, tag: string): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await startSaga(tag);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return performance.now() - started;
}

async function main(): Promise<void> {
  const concurrency = Number(env('BENCH_CONCURRENCY', '64'));
  const w = new Worker<Job>(
    'steps',
    (job) => runStep(job.data),
    { connection: workerRedis, prefix, concurrency: Number(env('BENCH_WORKER_CONCURRENCY', '64')) },
  );
  w.on('failed', (job, error) => process.stderr.write(`baseline job ${job?.id} failed: ${error.message}\n`));
  await w.waitUntilReady();
  await runSagas(Number(env('BENCH_WARMUP', '200')), concurrency, 'warmup');
  // Let the backends report their statistics before the runner samples them.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  process.stdout.write('warm\n');
  const tag = env('BENCH_TAG');
  const n = Number(env('BENCH_N', '3000'));
  const cpu0 = process.cpuUsage();
  const elapsedMs = await runSagas(n, concurrency, tag);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const completed = await db.query(`SELECT count(*)::int AS n FROM transactions WHERE status = 'COMPLETED' AND input->>'bench' = $1`, [tag]);
  process.stdout.write(`result ${JSON.stringify({ elapsedMs, cpuMs, completed: (completed.rows[0] as { n: number }).n })}\n`);
  await w.close();
  await queue.close();
  await http.close();
  redis.disconnect();
  workerRedis.disconnect();
  await db.end();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`baseline failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
