/**
 * What the bench's two hand-written baselines share: the process around a
 * sequential 3-step saga loop — a pg Pool, a BullMQ Queue/Worker, an undici
 * Pool to the participant — the closed-loop driver, and the protocol with
 * run.ts. Each baseline supplies only its durable work per saga (start) and
 * per step (runStep).
 *
 * Both write the coordinator's own tables (their database is migrated with
 * the product's migration first), so the comparison is about the code on the
 * hot path, not the schema.
 *
 * Run as a child process by run.ts. Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX,
 * PARTICIPANT_URL, BENCH_N, BENCH_WARMUP, BENCH_CONCURRENCY,
 * BENCH_WORKER_CONCURRENCY, BENCH_POOL_SIZE, BENCH_TAG, BENCH_BASELINE_PREPARED.
 * Prints one line `warm` after the warm-up, waits for a line on stdin, runs
 * the measured batch and prints `result {"elapsedMs":…,"cpuMs":…,"completed":…}`.
 */
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Pool, type QueryConfig } from 'pg';
import { Pool as HttpPool } from 'undici';

/** One step's job: transaction id, step index, attempt, and (minimal baseline) the saga's input. */
export interface StepJob {
  t: string;
  i: number;
  a: number;
  input?: unknown;
}

export const STEPS = ['s1', 's2', 's3'];

/** The statement that inserts a saga and its three steps, step 1 due. */
export const INSERT_SAGA_SQL = (definition: string, leaseMs: number) => `
  WITH t AS (
    INSERT INTO transactions (id, definition_name, definition_version, type, status, direction, input)
    VALUES ($1, '${definition}', 1, 'saga', 'RUNNING', 'forward', $2::jsonb) RETURNING id)
  INSERT INTO steps (transaction_id, idx, name, status, phase, attempt, due_at, lease_ms, input)
  SELECT t.id, x.idx, x.name, x.status, x.phase, x.attempt, x.due_at, ${leaseMs}, $2::jsonb
  FROM t, (VALUES (0, 's1', 'RUNNING', 'action', 1, now()), (1, 's2', 'PENDING', NULL, 0, NULL::timestamptz),
                  (2, 's3', 'PENDING', NULL, 0, NULL::timestamptz)) AS x(idx, name, status, phase, attempt, due_at)`;

export interface Harness {
  db: Pool;
  /** A statement, named (prepared) unless BENCH_BASELINE_PREPARED=0, as TypeORM's query() would send it. */
  sql: (name: string, text: string, values: unknown[]) => QueryConfig;
  enqueue: (job: StepJob) => Promise<void>;
  /** POSTs the participant call of one step; answers its status and body text. */
  call: (job: StepJob, input: unknown) => Promise<{ statusCode: number; text: string }>;
  /** Tells the driver that the saga has completed. */
  finished: (transactionId: string) => void;
  /** This process, as the attempt log's worker. */
  worker: string;
}

export interface SagaLoop {
  /** Durably starts a saga (and enqueues its first step). */
  start(id: string, input: unknown): Promise<void>;
  /** Runs one step job: the call and its durable result, then the next job or finished(). */
  runStep(job: StepJob): Promise<void>;
}

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

export function runBaselineProcess(name: string, build: (harness: Harness) => SagaLoop): void {
  main(name, build).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${name} failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

async function main(name: string, build: (harness: Harness) => SagaLoop): Promise<void> {
  const db = new Pool({ connectionString: env('DATABASE_URL'), max: Number(env('BENCH_POOL_SIZE', '20')), application_name: name });
  const redis = new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: null });
  const workerRedis = new IORedis(env('REDIS_URL'), { maxRetriesPerRequest: null });
  const prefix = `{${env('QUEUE_PREFIX')}}`;
  const queue = new Queue<StepJob>('steps', { connection: redis, prefix });
  const participant = new URL(env('PARTICIPANT_URL'));
  const http = new HttpPool(participant.origin, { connections: 128, pipelining: 1, keepAliveTimeout: 10_000 });
  const waiters = new Map<string, () => void>();
  const prepared = process.env.BENCH_BASELINE_PREPARED !== '0';

  const loop = build({
    db,
    sql: (statement, text, values) => (prepared ? { name: statement, text, values } : { text, values }),
    enqueue: async (job) => {
      await queue.add('action', job, { jobId: `${job.t}.${STEPS[job.i]}.action.${job.a}`, removeOnComplete: true, removeOnFail: true });
    },
    call: async (job, input) => {
      const step = STEPS[job.i];
      const res = await http.request({
        path: participant.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${job.t}.${step}.action` },
        body: JSON.stringify({ transactionId: job.t, step, phase: 'action', attempt: job.a, input }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`participant answered ${res.statusCode}`);
      return { statusCode: res.statusCode, text };
    },
    finished: (id) => {
      waiters.get(id)?.();
      waiters.delete(id);
    },
    worker: `${process.pid}`,
  });

  const runSagas = async (count: number, concurrency: number, tag: string): Promise<number> => {
    let next = 0;
    const lane = async () => {
      while (next < count) {
        next++;
        const id = crypto.randomUUID();
        const done = new Promise<void>((resolve) => waiters.set(id, resolve));
        await loop.start(id, { bench: tag });
        await done;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    return performance.now() - started;
  };

  const concurrency = Number(env('BENCH_CONCURRENCY', '64'));
  const w = new Worker<StepJob>('steps', (job) => loop.runStep(job.data), {
    connection: workerRedis,
    prefix,
    concurrency: Number(env('BENCH_WORKER_CONCURRENCY', '64')),
  });
  w.on('failed', (job, error) => process.stderr.write(`${name} job ${job?.id} failed: ${error.message}\n`));
  await w.waitUntilReady();
  await runSagas(Number(env('BENCH_WARMUP', '2000')), concurrency, 'warmup');
  // Let the backends report their statistics before the runner samples them.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  process.stdout.write('warm\n');
  // The runner samples its counters, then says go: nothing of the batch runs before.
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const tag = env('BENCH_TAG');
  const n = Number(env('BENCH_N', '3000'));
  const cpu0 = process.cpuUsage();
  const elapsedMs = await runSagas(n, concurrency, tag);
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const completed = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM transactions WHERE status = 'COMPLETED' AND input->>'bench' = $1`,
    [tag],
  );
  process.stdout.write(`result ${JSON.stringify({ elapsedMs, cpuMs, completed: completed.rows[0].n })}\n`);
  await w.close();
  await queue.close();
  await http.close();
  redis.disconnect();
  workerRedis.disconnect();
  await db.end();
}
