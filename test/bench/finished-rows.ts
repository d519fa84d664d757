/**
 * `npm run bench -- --rows`: does Accord keep its pace once its tables hold
 * many finished transactions? In one run and one database, Accord's
 * throughput is measured on the empty database; then BENCH_ROWS (10 000 000)
 * finished 3-step sagas are written straight into its tables
 * (seed-finished-rows.ts), VACUUM ANALYZE runs, and the same measurement is
 * made again with fresh coordinator processes. It prints both and their
 * ratio.
 *
 * A measurement is BENCH_ROUNDS (2) rounds, the best counting, each a fresh
 * coordinator that runs BENCH_WARMUP (2000) sagas and then BENCH_N (3000)
 * measured ones at most BENCH_ROWS_OPEN (64) open, started as the client
 * starts them (with an idempotency key, `waitMs` until COMPLETED), against
 * the instant participant. Meanwhile, every BENCH_ROWS_POLL_MS (1000), it
 * asks what an open console and a metrics scrape ask: the counts, the first
 * page of the list and /metrics. CPU per saga is the coordinator's and every
 * `postgres` process's (run it on a quiet machine). BENCH_COORDINATOR_ENV
 * (KEY=VALUE,…) passes more settings, e.g. RETENTION_DAYS=29 to have
 * retention delete the oldest thirtieth of the seeded rows while the seeded
 * rounds run. BENCH_ROWS_KEEP=1 keeps the database (its URL is printed).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import {
  adminQuery, coordinatorEnvFromBench, cpuMsOfProcesses, deleteRedisKeys, importEsm, num, processCpuMs, ROOT, startBenchCoordinator,
  startChild, waitFor, withDatabase, type ProvisionModule,
} from './bench-process';
import { seedFinishedRows, SEED_DEFINITION } from './seed-finished-rows';

const ROWS = num('BENCH_ROWS', 10_000_000);
const N = num('BENCH_N', 3000);
const WARMUP = num('BENCH_WARMUP', 2000);
const ROUNDS = Math.max(1, num('BENCH_ROUNDS', 2));
const OPEN = Math.max(1, num('BENCH_ROWS_OPEN', 64));
const POLL_MS = Math.max(100, num('BENCH_ROWS_POLL_MS', 1000));
const KEEP = process.env.BENCH_ROWS_KEEP === '1';

interface Round {
  perSecond: number;
  p50: number;
  p99: number;
  cpuPerSaga: number;
  pgCpuPerSaga: number;
  /** Slowest answer of the polled reads (counts, list, /metrics), ms. */
  slowestPollMs: number;
}

interface Bench {
  databaseUrl: string;
  redisUrl: string;
  participantUrl: string;
  prefixes: string[];
}

async function latencies(databaseUrl: string, tag: string, since: Date): Promise<{ count: number; p50: number; p99: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // created_at bounds it to this round's rows through the status index, whatever the table holds
    const { rows } = await client.query<{ count: number; p50: number; p99: number }>(
      `SELECT count(*)::int AS count,
         (percentile_disc(0.5) WITHIN GROUP (ORDER BY ms)) AS p50, (percentile_disc(0.99) WITHIN GROUP (ORDER BY ms)) AS p99
       FROM (SELECT (extract(epoch FROM finished_at - created_at) * 1000)::float8 AS ms FROM transactions
             WHERE status = 'COMPLETED' AND created_at >= $2 AND input->>'bench' = $1) x`,
      [tag, since],
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

async function measureRound(bench: Bench, label: string): Promise<Round> {
  const prefix = `accord_rows_${randomBytes(4).toString('hex')}`;
  bench.prefixes.push(prefix);
  const coordinator = startBenchCoordinator(
    { DATABASE_URL: bench.databaseUrl, REDIS_URL: bench.redisUrl, QUEUE_PREFIX: prefix, ...coordinatorEnvFromBench() },
    OPEN,
  );
  const call = coordinator.request;
  try {
    await coordinator.ready(120_000);
    const step = (name: string) => ({ name, action: { url: `${bench.participantUrl}/${name}`, timeoutMs: 10_000 } });
    const registered = await call('POST', '/v1/definitions', { name: SEED_DEFINITION, type: 'saga', steps: [step('s1'), step('s2'), step('s3')] });
    if (registered.status !== 201 && registered.status !== 200) throw new Error(`registering the definition: ${registered.status} ${registered.text}`);
    const run = async (count: number, tag: string) => {
      let next = 0;
      const lane = async () => {
        while (next < count) {
          next++;
          const res = await call('POST', '/v1/transactions?waitMs=60000', { definition: SEED_DEFINITION, input: { bench: tag }, idempotencyKey: randomUUID() });
          if (res.status !== 201 || !res.text.includes('"status":"COMPLETED"')) throw new Error(`saga did not complete: ${res.status} ${res.text}`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(OPEN, count) }, lane));
    };
    await run(WARMUP, 'warmup');
    const tag = `${label}-${prefix}`;
    const since = new Date(Date.now() - 1000);
    let slowestPollMs = 0;
    let pollError: Error | undefined;
    const polls: Promise<unknown>[] = [];
    const poll = () => {
      const started = performance.now();
      polls.push(Promise.all([call('GET', '/v1/transactions/counts'), call('GET', '/v1/transactions?limit=50'), call('GET', '/metrics')])
        .then((answers) => {
          const failed = answers.find((a) => a.status !== 200);
          if (failed) throw new Error(`a polled read failed: ${failed.status} ${failed.text.slice(0, 200)}`);
          slowestPollMs = Math.max(slowestPollMs, performance.now() - started);
        })
        .catch((error: Error) => { pollError ??= error; }));
    };
    poll();
    const polling = setInterval(poll, POLL_MS);
    const cpu0 = processCpuMs(coordinator.child.process.pid);
    const pg0 = cpuMsOfProcesses('postgres');
    const started = performance.now();
    await run(N, tag);
    const elapsedMs = performance.now() - started;
    const cpu = processCpuMs(coordinator.child.process.pid) - cpu0;
    const pg = cpuMsOfProcesses('postgres') - pg0;
    clearInterval(polling);
    await Promise.all(polls);
    if (pollError) throw pollError;
    const lat = await latencies(bench.databaseUrl, tag, since);
    if (lat.count !== N) throw new Error(`${lat.count} of ${N} sagas COMPLETED in Postgres`);
    return { perSecond: (N * 1000) / elapsedMs, p50: lat.p50, p99: lat.p99, cpuPerSaga: cpu / N, pgCpuPerSaga: pg / N, slowestPollMs };
  } catch (error) {
    process.stderr.write(`--- coordinator output ---\n${coordinator.child.output()}\n`);
    throw error;
  } finally {
    await coordinator.stop();
  }
}

async function measure(bench: Bench, label: string): Promise<Round> {
  const rounds: Round[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    rounds.push(await measureRound(bench, label));
    const r = rounds.at(-1)!;
    process.stdout.write(`  ${label} round ${round}: ${r.perSecond.toFixed(0)} sagas/s  p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms\n`);
  }
  return rounds.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
}

async function main(): Promise<void> {
  const { provision } = (await importEsm(pathToFileURL(path.join(ROOT, 'scripts', 'provision.mjs')).href)) as ProvisionModule;
  const { databaseUrl, redisUrl } = await provision({ quiet: true });
  const adminUrl = withDatabase(databaseUrl, 'postgres');
  const database = `accord_rows_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${database}`);
  const participant = startChild(path.join(__dirname, 'instant-participant.js'), { PORT: '0' });
  const bench: Bench = { databaseUrl: withDatabase(adminUrl, database), redisUrl, participantUrl: '', prefixes: [] };
  let empty: Round;
  let seeded: Round;
  let bytes: number;
  try {
    bench.participantUrl = `http://127.0.0.1:${await waitFor('participant', participant, () => /listening (\d+)/.exec(participant.output())?.[1])}`;
    process.stdout.write(`accord finished-rows bench: ${N} sagas after ${WARMUP} warm-up, ≤${OPEN} open, ${ROUNDS} round(s), empty and then with ${ROWS} finished transactions\n`);
    empty = await measure(bench, 'empty');
    bytes = await seedFinishedRows(bench.databaseUrl, ROWS, (line) => process.stdout.write(`  ${line}\n`));
    seeded = await measure(bench, 'seeded');
  } finally {
    await participant.stop();
    if (KEEP) process.stdout.write(`kept the database: ${bench.databaseUrl}\n`);
    else await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((e: Error) => process.stderr.write(`could not drop ${database}: ${e.message}\n`));
    for (const prefix of bench.prefixes) await deleteRedisKeys(redisUrl, prefix).catch(() => 0);
  }
  const head = ['database', 'sagas/s', 'p50 ms', 'p99 ms', 'coord cpu ms/saga', 'pg cpu ms/saga', 'slowest poll ms'];
  const cells = (name: string, r: Round) => [name, r.perSecond.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), r.cpuPerSaga.toFixed(2), r.pgCpuPerSaga.toFixed(2), r.slowestPollMs.toFixed(0)];
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '-');
  const rows = [
    cells('empty', empty), cells(`${ROWS} finished`, seeded),
    ['seeded / empty', ratio(seeded.perSecond, empty.perSecond), ratio(seeded.p50, empty.p50), ratio(seeded.p99, empty.p99),
      ratio(seeded.cpuPerSaga, empty.cpuPerSaga), ratio(seeded.pgCpuPerSaga, empty.pgCpuPerSaga), ratio(seeded.slowestPollMs, empty.slowestPollMs)],
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  process.stdout.write(
    [
      '',
      line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line),
      `throughput with ${ROWS} finished transactions: ${ratio(seeded.perSecond, empty.perSecond)} of the empty database's (target ≥ 0.90: ${seeded.perSecond >= 0.9 * empty.perSecond ? 'met' : 'not met'}); tables and indexes ${(bytes / 2 ** 30).toFixed(2)} GiB`,
      `command: npm run bench -- --rows   (BENCH_ROWS=${ROWS} BENCH_N=${N} BENCH_WARMUP=${WARMUP} BENCH_ROUNDS=${ROUNDS} BENCH_ROWS_OPEN=${OPEN} BENCH_ROWS_POLL_MS=${POLL_MS}${process.env.BENCH_COORDINATOR_ENV ? ` BENCH_COORDINATOR_ENV=${process.env.BENCH_COORDINATOR_ENV}` : ''})`,
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`finished-rows bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
