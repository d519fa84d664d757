/**
 * `npm run bench`: sagas per second of a sequential 3-step saga against an
 * instant local participant, for the built coordinator and, in the same run,
 * for two hand-written baselines (baseline-harness.ts): the same durable work
 * as Accord (baseline.ts) and the least a day-one loop gets away with
 * (minimal-baseline.ts), with the ratios.
 *
 * Each system is driven closed-loop with at most N sagas open, at each level
 * of BENCH_CONCURRENCY: the coordinator through `POST /v1/transactions?waitMs=`
 * (the request returns when the saga is COMPLETED), the baselines through an
 * in-process promise. Every run is a fresh process that first runs
 * BENCH_WARMUP sagas, so JIT compilation is done before the measured batch.
 * Throughput = N / wall time of the measured batch; latency = finished_at -
 * created_at in Postgres. Rounds alternate the order and the best round of
 * each system counts. CPU per saga is read from /proc for the measured
 * process, every `postgres` and every `redis-server` process (the servers may
 * serve others too: run it on a quiet machine); Redis commands per saga from
 * INFO. Statements per saga come from a separate, shorter counting pass
 * through a relay that counts them (statement-counter.ts), so the relay's hop
 * never slows the measured rounds.
 *
 * Knobs (env): BENCH_N (3000), BENCH_WARMUP (2000), BENCH_CONCURRENCY (64,16),
 * BENCH_ROUNDS (2), BENCH_COUNT_N (300; 0 skips the counting pass),
 * BENCH_WORKER_CONCURRENCY (64), BENCH_POOL_SIZE (20), BENCH_TARGET (0.5),
 * BENCH_COORDINATOR_ENV (extra KEY=VALUE,… for the coordinator),
 * BENCH_COORDINATOR_NODE_ARGS, BENCH_BASELINE_PREPARED (1; 0 = the baselines
 * send unnamed statements), BENCH_PROFILE (a directory: every measured process
 * writes a CPU profile there, summarised by package; `npm run bench -- --profile`),
 * BENCH_TRACING (1: also Accord with tracing on, `traced`, exporting to an
 * OTLP receiver in this driver; `npm run bench -- --tracing`).
 * Postgres and Redis come from scripts/provision.mjs (DATABASE_URL/REDIS_URL
 * or local ones). Everything created is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import {
  adminQuery, coordinatorEnvFromBench, cpuMsOfProcesses, deleteRedisKeys, DIST, importEsm, num, processCpuMs, redisCommands, ROOT,
  startBenchCoordinator, startChild, waitFor,
  withDatabase, type ProvisionModule,
} from './bench-process';
import { summariseCpuProfile } from './cpu-profile-summary';
import { startStatementCounter, type StatementCounter } from './statement-counter';
import { startOtlpReceiver } from '../support/otlp-receiver';

const N = num('BENCH_N', 3000);
const WARMUP = num('BENCH_WARMUP', 2000);
const LEVELS = (process.env.BENCH_CONCURRENCY || '64,16').split(',').map((level) => {
  const value = Number(level);
  if (!Number.isInteger(value) || value < 1) throw new Error('BENCH_CONCURRENCY must be a comma-separated list of positive integers');
  return value;
});
const ROUNDS = Math.max(1, num('BENCH_ROUNDS', 2));
const COUNT_N = num('BENCH_COUNT_N', 300);
const WORKER_CONCURRENCY = num('BENCH_WORKER_CONCURRENCY', 64);
const POOL_SIZE = num('BENCH_POOL_SIZE', 20);
const TARGET = num('BENCH_TARGET', 0.5);
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
const RUN_ID = randomBytes(4).toString('hex');

/** `traced`: Accord with tracing on, exporting over http/protobuf to an
 * OTLP receiver in this driver (BENCH_TRACING=1, `--tracing`). */
type System = 'accord' | 'traced' | 'baseline' | 'minimal';
const TRACING = process.env.BENCH_TRACING === '1';
const SYSTEMS: System[] = TRACING ? ['accord', 'traced', 'baseline', 'minimal'] : ['accord', 'baseline', 'minimal'];
const isAccord = (system: System): system is 'accord' | 'traced' => system === 'accord' || system === 'traced';

interface Measurement {
  system: System;
  /** Sagas open at most. */
  open: number;
  round: number;
  sagas: number;
  elapsedMs: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** CPU ms per saga of the coordinator / baseline process during the batch. */
  cpuPerSaga: number;
  /** CPU ms per saga of all `postgres` processes on the machine during the batch. */
  pgCpuPerSaga: number;
  /** CPU ms per saga of all `redis-server` processes on the machine during the batch. */
  redisCpuPerSaga: number;
  /** Postgres transactions (committed + rolled back) per saga in its database. */
  xactsPerSaga: number;
  /** Commands the Redis server processed per saga (all its clients). */
  redisCommandsPerSaga: number;
  /** Statements per saga, when run through the statement counter. */
  statementsPerSaga?: number;
}

/** What one run of a system is asked to do. */
interface RunPlan {
  round: number;
  open: number;
  sagas: number;
  warmup: number;
  /** Counting pass: the system's database is reached through this relay. */
  counter?: StatementCounter;
  /** A directory for this run's CPU profile. */
  profileDir?: string;
}

// ------------------------------------------------------------------ helpers

/** Machine-wide counters sampled around a measured batch. */
interface Sample {
  pgCpu: number;
  redisCpu: number;
  redisCommands: number;
  statements: number;
}

async function sample(ctx: Context, counter?: StatementCounter): Promise<Sample> {
  return {
    pgCpu: cpuMsOfProcesses('postgres'),
    redisCpu: cpuMsOfProcesses('redis-server'),
    redisCommands: await redisCommands(ctx.redisUrl),
    statements: counter?.statements() ?? NaN,
  };
}

/** Per-saga figures between two samples; `ownStatements` are the sampler's own statements to subtract. */
function perSaga(before: Sample, after: Sample, sagas: number, ownStatements = 0) {
  return {
    pgCpuPerSaga: (after.pgCpu - before.pgCpu) / sagas,
    redisCpuPerSaga: (after.redisCpu - before.redisCpu) / sagas,
    // minus the INFO command of the second sample
    redisCommandsPerSaga: (after.redisCommands - before.redisCommands - 1) / sagas,
    statementsPerSaga: Number.isNaN(after.statements) ? undefined : (after.statements - before.statements - ownStatements) / sagas,
  };
}

/** Committed + rolled-back transactions of one database so far. Backends
 * report their counts at most once a second, so callers let them go idle
 * (or exit) for a moment first. */
async function pgXacts(adminUrl: string, database: string): Promise<number> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = $1',
      [database],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

const STATS_SETTLE_MS = 1500;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function latencies(databaseUrl: string, tag: string): Promise<{ count: number; p50: number; p95: number; p99: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ ms: number }>(
      `SELECT (extract(epoch FROM finished_at - created_at) * 1000)::float8 AS ms FROM transactions
       WHERE status = 'COMPLETED' AND input->>'bench' = $1 ORDER BY 1`,
      [tag],
    );
    const sorted = rows.map((r) => r.ms);
    return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
  } finally {
    await client.end();
  }
}

// ------------------------------------------------------------------ profiles

/** Node arguments that make a measured process write its CPU profile into the plan's directory. */
function profileArgs(plan: RunPlan): string[] {
  if (!plan.profileDir) return [];
  mkdirSync(plan.profileDir, { recursive: true });
  return ['--cpu-prof', `--cpu-prof-dir=${plan.profileDir}`];
}

/** The newest profile of a run, by package (it covers the warm-up too). */
function profileReport(label: string, plan: RunPlan): string {
  if (!plan.profileDir) return '';
  const files = readdirSync(plan.profileDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(plan.profileDir as string, f))
    .sort((x, y) => statSync(y).mtimeMs - statSync(x).mtimeMs);
  if (files.length === 0) return `  ${label}: no profile written\n`;
  const rows = summariseCpuProfile(files[0]).slice(0, 12);
  return [
    `  ${label} CPU profile by package, start-up and warm-up included (${files[0]}):`,
    ...rows.map((r) => `    ${r.name.padEnd(32)} ${fmt(r.ms).padStart(7)} ms  ${fmt(r.share * 100, 1).padStart(5)} %`),
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ Accord

const DEFINITION = 'bench-3step';

async function runAccord(ctx: Context, system: 'accord' | 'traced', plan: RunPlan): Promise<Measurement> {
  const prefix = `accord_bench_${RUN_ID}_${system[0]}${plan.open}_${plan.round}${plan.counter ? 'n' : ''}`;
  ctx.prefixes.push(prefix);
  const nodeArgs = [...(process.env.BENCH_COORDINATOR_NODE_ARGS ?? '').split(' ').filter(Boolean), ...profileArgs(plan)];
  const coordinator = startBenchCoordinator({
    DATABASE_URL: plan.counter?.url ?? ctx.databases[system],
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    ...coordinatorEnvFromBench(),
    ...(system === 'traced' ? ctx.tracingEnv : {}),
  }, plan.open, nodeArgs);
  const call = async (method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const { status, text } = await coordinator.request(method, pathname, body);
    return { status, body: text ? (JSON.parse(text) as unknown) : null };
  };
  try {
    await coordinator.ready();
    const step = (name: string) => ({ name, action: { url: `${ctx.participantUrl}/${name}`, timeoutMs: 10_000 } });
    const registered = await call('POST', '/v1/definitions', {
      name: DEFINITION,
      type: 'saga',
      steps: [step('s1'), step('s2'), step('s3')],
    });
    if (registered.status !== 201 && registered.status !== 200) {
      throw new Error(`registering the definition failed: ${registered.status} ${JSON.stringify(registered.body)}`);
    }
    const runSagas = async (count: number, tag: string): Promise<number> => {
      let next = 0;
      const lane = async () => {
        while (next < count) {
          next++;
          const res = await call('POST', '/v1/transactions?waitMs=60000', { definition: DEFINITION, input: { bench: tag } });
          const status = (res.body as { status?: string } | null)?.status;
          if (res.status !== 201 || status !== 'COMPLETED') {
            throw new Error(`saga did not complete: HTTP ${res.status} ${JSON.stringify(res.body)}`);
          }
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: Math.min(plan.open, count) }, lane));
      return performance.now() - started;
    };
    await runSagas(plan.warmup, 'warmup');
    const tag = `a${plan.open}r${plan.round}${plan.counter ? 'n' : ''}`;
    await sleep(STATS_SETTLE_MS);
    const xacts0 = await pgXacts(ctx.adminUrl, ctx.names[system]);
    const cpu0 = processCpuMs(coordinator.child.process.pid);
    const before = await sample(ctx, plan.counter);
    const elapsedMs = await runSagas(plan.sagas, tag);
    const after = await sample(ctx, plan.counter);
    const cpu = processCpuMs(coordinator.child.process.pid) - cpu0;
    await sleep(STATS_SETTLE_MS);
    const xacts = (await pgXacts(ctx.adminUrl, ctx.names[system])) - xacts0;
    const lat = await latencies(ctx.databases[system], tag);
    if (lat.count !== plan.sagas) throw new Error(`${system}: ${lat.count} of ${plan.sagas} sagas COMPLETED in Postgres`);
    return {
      system, open: plan.open, round: plan.round, sagas: plan.sagas, elapsedMs, perSecond: (plan.sagas * 1000) / elapsedMs,
      ...lat, cpuPerSaga: cpu / plan.sagas, xactsPerSaga: xacts / plan.sagas, ...perSaga(before, after, plan.sagas),
    };
  } catch (error) {
    process.stderr.write(`--- coordinator output ---\n${coordinator.child.output()}\n`);
    throw error;
  } finally {
    await coordinator.stop();
  }
}

// ------------------------------------------------------------------ baselines

const BASELINE_SCRIPTS: Record<Exclude<System, 'accord' | 'traced'>, string> = { baseline: 'baseline.js', minimal: 'minimal-baseline.js' };

async function runBaseline(ctx: Context, system: Exclude<System, 'accord' | 'traced'>, plan: RunPlan): Promise<Measurement> {
  const prefix = `accord_bench_${RUN_ID}_${system[0]}${plan.open}_${plan.round}${plan.counter ? 'n' : ''}`;
  ctx.prefixes.push(prefix);
  const tag = `${system[0]}${plan.open}r${plan.round}${plan.counter ? 'n' : ''}`;
  const child = startChild(path.join(__dirname, BASELINE_SCRIPTS[system]), {
    DATABASE_URL: plan.counter?.url ?? ctx.databases[system],
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    PARTICIPANT_URL: `${ctx.participantUrl}/step`,
    BENCH_N: String(plan.sagas),
    BENCH_WARMUP: String(plan.warmup),
    BENCH_CONCURRENCY: String(plan.open),
    BENCH_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    BENCH_POOL_SIZE: String(POOL_SIZE),
    BENCH_TAG: tag,
    BENCH_BASELINE_PREPARED: process.env.BENCH_BASELINE_PREPARED ?? '1',
  }, profileArgs(plan));
  await waitFor(`${system} warm-up`, child, () => (child.output().includes('warm\n') ? true : undefined), 600_000);
  const xacts0 = await pgXacts(ctx.adminUrl, ctx.names[system]);
  const before = await sample(ctx, plan.counter);
  child.process.stdin?.end('go\n');
  const code = await child.exited;
  const after = await sample(ctx, plan.counter);
  await sleep(STATS_SETTLE_MS);
  // minus the one statement that counted the completed sagas (also in perSaga below)
  const xacts = (await pgXacts(ctx.adminUrl, ctx.names[system])) - xacts0 - 1;
  const line = child.output().split('\n').find((l) => l.startsWith('result '));
  if (code !== 0 || !line) throw new Error(`${system} exited with ${code}:\n${child.output()}`);
  const result = JSON.parse(line.slice('result '.length)) as { elapsedMs: number; completed: number; cpuMs: number };
  if (result.completed !== plan.sagas) throw new Error(`${system}: ${result.completed} of ${plan.sagas} sagas COMPLETED in Postgres`);
  const lat = await latencies(ctx.databases[system], tag);
  return {
    system, open: plan.open, round: plan.round, sagas: plan.sagas, elapsedMs: result.elapsedMs,
    perSecond: (plan.sagas * 1000) / result.elapsedMs, ...lat, cpuPerSaga: result.cpuMs / plan.sagas, xactsPerSaga: xacts / plan.sagas,
    ...perSaga(before, after, plan.sagas, 1),
  };
}

function runSystem(ctx: Context, system: System, plan: RunPlan): Promise<Measurement> {
  return isAccord(system) ? runAccord(ctx, system, plan) : runBaseline(ctx, system, plan);
}

// ------------------------------------------------------------------ main

interface Context {
  adminUrl: string;
  redisUrl: string;
  databases: Record<System, string>;
  participantUrl: string;
  names: Record<System, string>;
  prefixes: string[];
  /** What the `traced` coordinator is given. */
  tracingEnv: Record<string, string>;
}

const fmt = (n: number | undefined, digits = 0) => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function roundsTable(results: Measurement[]): string {
  return table(
    ['system', 'open', 'round', 'sagas', 'wall s', 'sagas/s', 'p50 ms', 'p95 ms', 'p99 ms', 'cpu ms/saga', 'pg cpu', 'redis cpu', 'pg xacts', 'redis cmds'],
    results.map((r) => [
      r.system, String(r.open), String(r.round), String(r.sagas), fmt(r.elapsedMs / 1000, 2), fmt(r.perSecond), fmt(r.p50, 1),
      fmt(r.p95, 1), fmt(r.p99, 1), fmt(r.cpuPerSaga, 2), fmt(r.pgCpuPerSaga, 2), fmt(r.redisCpuPerSaga, 2), fmt(r.xactsPerSaga, 1),
      fmt(r.redisCommandsPerSaga, 1),
    ]),
  );
}

async function main(): Promise<void> {
  const script = path.join(ROOT, 'scripts', 'provision.mjs');
  const { provision } = (await importEsm(pathToFileURL(script).href)) as ProvisionModule;
  const { databaseUrl, redisUrl } = await provision({ quiet: true });
  const adminUrl = withDatabase(databaseUrl, 'postgres');
  const receiver = TRACING ? await startOtlpReceiver({ keep: false }) : null;
  const names: Record<System, string> = {
    accord: `accord_bench_${RUN_ID}_accord`,
    traced: `accord_bench_${RUN_ID}_traced`,
    baseline: `accord_bench_${RUN_ID}_base`,
    minimal: `accord_bench_${RUN_ID}_min`,
  };
  const ctx: Context = {
    adminUrl,
    redisUrl,
    databases: Object.fromEntries(SYSTEMS.map((system) => [system, withDatabase(adminUrl, names[system])])) as Record<System, string>,
    tracingEnv: receiver ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' } : {},
    participantUrl: '',
    names,
    prefixes: [],
  };
  const participant = startChild(path.join(__dirname, 'instant-participant.js'), { PORT: '0' });
  const results: Measurement[] = [];
  const counted: Measurement[] = [];
  const profiles: string[] = [];
  let failed = false;
  try {
    for (const system of SYSTEMS) {
      await adminQuery(adminUrl, `CREATE DATABASE ${names[system]}`);
      if (isAccord(system)) continue;
      const migrated = spawnSync(process.execPath, [path.join(DIST, 'apps', 'coordinator', 'migrate.js')], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: ctx.databases[system], LOG_LEVEL: 'warn' },
        encoding: 'utf8',
      });
      if (migrated.status !== 0) throw new Error(`migrating the ${system} database failed:\n${migrated.stderr}${migrated.stdout}`);
    }
    const port = await waitFor('participant', participant, () => /listening (\d+)/.exec(participant.output())?.[1]);
    ctx.participantUrl = `http://127.0.0.1:${port}`;

    process.stdout.write(
      `accord bench: ${N} sagas (3 sequential steps, instant participant) after ${WARMUP} warm-up in each fresh process, ` +
        `at ${LEVELS.map((l) => `≤${l}`).join(' and ')} open, worker concurrency ${WORKER_CONCURRENCY}, pg pool ${POOL_SIZE}, ` +
        `${ROUNDS} round(s); systems: ${SYSTEMS.join(', ')}\n`,
    );
    for (const open of LEVELS) {
      for (let round = 1; round <= ROUNDS; round++) {
        // Rotate the order, so no system always runs first (or right after another's clean-up).
        const order = SYSTEMS.map((_, i) => SYSTEMS[(i + round - 1) % SYSTEMS.length]);
        for (const system of order) {
          const plan: RunPlan = {
            round, open, sagas: N, warmup: WARMUP,
            profileDir: PROFILE_DIR ? path.join(PROFILE_DIR, `${system}-open${open}-round${round}`) : undefined,
          };
          const m = await runSystem(ctx, system, plan);
          results.push(m);
          profiles.push(profileReport(`${system} ≤${open} open round ${round}`, plan));
          process.stdout.write(
            `  ≤${open} open round ${round} ${system.padEnd(8)} ${fmt(m.perSecond).padStart(5)} sagas/s  p50 ${fmt(m.p50, 1)} ms  p99 ${fmt(m.p99, 1)} ms\n`,
          );
        }
      }
    }
    if (COUNT_N > 0) {
      for (const system of SYSTEMS.filter((s) => s !== 'traced')) {
        const counter = await startStatementCounter(ctx.databases[system]);
        try {
          counted.push(await runSystem(ctx, system, { round: 0, open: 16, sagas: COUNT_N, warmup: 50, counter }));
        } finally {
          await counter.close();
        }
      }
    }
  } catch (error) {
    failed = true;
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  } finally {
    await participant.stop();
    await receiver?.close();
    for (const name of Object.values(names)) {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e: Error) =>
        process.stderr.write(`could not drop ${name}: ${e.message}\n`),
      );
    }
    for (const prefix of ctx.prefixes) await deleteRedisKeys(redisUrl, prefix).catch(() => 0);
  }
  if (failed) process.exit(1);

  const best = (system: System, open: number) =>
    results.filter((r) => r.system === system && r.open === open).reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const statements = (system: System) => counted.find((c) => c.system === system)?.statementsPerSaga;
  const summary = LEVELS.flatMap((open) => {
    const [accord, baseline, minimal] = (['accord', 'baseline', 'minimal'] as const).map((system) => best(system, open));
    const ratio = accord.perSecond / baseline.perSecond;
    const traced = TRACING ? best('traced', open) : null;
    return [
      `≤${open} open: accord ${fmt(accord.perSecond)} sagas/s (p50 ${fmt(accord.p50, 1)} ms, p99 ${fmt(accord.p99, 1)} ms), ` +
        `same-work baseline ${fmt(baseline.perSecond)} (p50 ${fmt(baseline.p50, 1)} ms, p99 ${fmt(baseline.p99, 1)} ms), ` +
        `minimal baseline ${fmt(minimal.perSecond)} (p50 ${fmt(minimal.p50, 1)} ms, p99 ${fmt(minimal.p99, 1)} ms)`,
      `  ratio accord/same-work = ${ratio.toFixed(2)}   target ${TARGET}: ${ratio >= TARGET ? 'met' : 'not met'}   ` +
        `(product target 1.0: ${ratio >= 1 ? 'met' : 'not met'});   ratio accord/minimal = ${(accord.perSecond / minimal.perSecond).toFixed(2)}`,
      ...(traced
        ? [
            `  tracing on: ${fmt(traced.perSecond)} sagas/s, ratio to tracing off = ${(traced.perSecond / accord.perSecond).toFixed(2)}, ` +
              `to same-work = ${(traced.perSecond / baseline.perSecond).toFixed(2)}; coordinator CPU ${fmt(traced.cpuPerSaga, 2)} ms per saga ` +
              `against ${fmt(accord.cpuPerSaga, 2)}`,
          ]
        : []),
    ];
  });
  const perSagaRows = SYSTEMS.map((system) => {
    const m = best(system, LEVELS[0]);
    return [system, fmt(m.cpuPerSaga, 2), fmt(m.pgCpuPerSaga, 2), fmt(m.redisCpuPerSaga, 2), fmt(m.xactsPerSaga, 1), fmt(statements(system), 1), fmt(m.redisCommandsPerSaga, 1)];
  });
  const cpu = cpus();
  process.stdout.write(
    [
      '',
      roundsTable(results),
      '',
      ...summary,
      ...(receiver ? [`  (the OTLP receiver in this driver took ${receiver.count()} spans from the traced coordinators)`] : []),
      '',
      `per saga at ≤${LEVELS[0]} open (best round; statements from a counting pass of ${COUNT_N} sagas at ≤16 open):`,
      table(['system', 'process cpu ms', 'postgres cpu ms', 'redis cpu ms', 'pg xacts', 'pg statements', 'redis cmds'], perSagaRows),
      '',
      ...profiles.filter(Boolean),
      `command: npm run bench   (BENCH_N=${N} BENCH_WARMUP=${WARMUP} BENCH_CONCURRENCY=${LEVELS.join(',')} BENCH_ROUNDS=${ROUNDS} ` +
        `BENCH_COUNT_N=${COUNT_N} BENCH_WORKER_CONCURRENCY=${WORKER_CONCURRENCY} BENCH_POOL_SIZE=${POOL_SIZE} ` +
        `BENCH_BASELINE_PREPARED=${process.env.BENCH_BASELINE_PREPARED ?? '1'})`,
      `machine: ${cpu.length} cpu (${cpu[0]?.model ?? 'unknown'}), node ${process.version}, ${process.platform}-${process.arch}; ` +
        'Postgres, Redis, participant, the measured process and this driver share these cores',
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
