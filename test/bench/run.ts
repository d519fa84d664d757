/**
 * `npm run bench`: sagas per second of a sequential 3-step saga against an
 * instant local participant, for the built coordinator and, in the same run,
 * for a hand-written baseline doing the minimum durable work (baseline.ts),
 * with the ratio of the two.
 *
 * Both are driven closed-loop with at most BENCH_CONCURRENCY sagas open: the
 * coordinator through `POST /v1/transactions?waitMs=` (the request returns
 * when the saga is COMPLETED), the baseline through an in-process promise.
 * Throughput = N / wall time of the measured batch (after a warm-up);
 * latency = finished_at - created_at in Postgres. Rounds alternate the order
 * (Accord first, then baseline first, …) and the best round of each counts.
 *
 * Knobs (env): BENCH_N (3000), BENCH_WARMUP (200), BENCH_CONCURRENCY (64),
 * BENCH_ROUNDS (2), BENCH_WORKER_CONCURRENCY (64), BENCH_POOL_SIZE (20),
 * BENCH_TARGET (0.5), BENCH_COORDINATOR_ENV (extra KEY=VALUE,… for the coordinator),
 * BENCH_COORDINATOR_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`),
 * BENCH_BASELINE_PREPARED (1; 0 = the baseline sends unnamed statements).
 * Postgres and Redis come from scripts/provision.mjs (DATABASE_URL/REDIS_URL
 * or local ones). Everything created is removed at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { Pool as HttpPool } from 'undici';

/** The repository: the nearest directory above this file with a package.json. */
const ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (dir === path.dirname(dir)) throw new Error(`no package.json above ${__dirname}`);
  }
})();

/** The coordinator's build (npm run build). */
const DIST = path.join(ROOT, 'dist');

const num = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

const N = num('BENCH_N', 3000);
const WARMUP = num('BENCH_WARMUP', 200);
const CONCURRENCY = num('BENCH_CONCURRENCY', 64);
const ROUNDS = Math.max(1, num('BENCH_ROUNDS', 2));
const WORKER_CONCURRENCY = num('BENCH_WORKER_CONCURRENCY', 64);
const POOL_SIZE = num('BENCH_POOL_SIZE', 20);
const TARGET = num('BENCH_TARGET', 0.5);
const RUN_ID = randomBytes(4).toString('hex');

interface Measurement {
  system: 'accord' | 'baseline';
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
  /** Postgres transactions (committed + rolled back) per saga in its database. */
  xactsPerSaga: number;
}

// ------------------------------------------------------------------ helpers

// Compiled to CommonJS, a plain import() would become require(); the .mjs
// must be loaded as an ES module.
const importEsm = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

interface ProvisionModule {
  provision(opts: { quiet: boolean }): Promise<{ databaseUrl: string; redisUrl: string }>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const CLK_TCK = 100;

/** utime + stime of a process (+ cutime + cstime of its reaped children), in ms (Linux /proc). */
function processCpuMs(pid: number | undefined, children = false): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    const reaped = children ? Number(fields[13]) + Number(fields[14]) : 0;
    return ((own + reaped) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU ms of every process whose name is `postgres` (all databases), with
 * the reaped children of each (backends that exited count in the
 * postmaster's cutime/cstime). */
function postgresCpuMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      total += processCpuMs(Number(entry), true);
    } catch {
      // gone
    }
  }
  return total;
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

interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function startChild(script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-256 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return { process: child, output: () => output, exited, stop };
}

async function waitFor<T>(what: string, child: Child, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (child.process.exitCode !== null) throw new Error(`${what} exited with ${child.process.exitCode}:\n${child.output()}`);
    if (Date.now() > deadline) throw new Error(`${what} did not come up:\n${child.output()}`);
    await sleep(10);
  }
}

async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new IORedis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// ------------------------------------------------------------------ Accord

const DEFINITION = 'bench-3step';

async function runAccord(ctx: Context, round: number): Promise<Measurement> {
  const prefix = `accord_bench_${RUN_ID}_a${round}`;
  ctx.prefixes.push(prefix);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const extra = Object.fromEntries(
    (process.env.BENCH_COORDINATOR_ENV ?? '')
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  );
  const coordinator = startChild(path.join(DIST, 'apps', 'coordinator', 'main.js'), {
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: ctx.accordDb,
    DATABASE_POOL_SIZE: String(POOL_SIZE),
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN: '',
    SIGNING_SECRET: '',
    LOG_LEVEL: 'warn',
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    ...extra,
  }, (process.env.BENCH_COORDINATOR_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const base = `http://127.0.0.1:${port}`;
  const http = new HttpPool(base, { connections: CONCURRENCY + 4, pipelining: 1 });
  const call = async (method: 'GET' | 'POST', pathname: string, body?: unknown): Promise<{ status: number; body: unknown }> => {
    const res = await http.request({
      path: pathname,
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? (JSON.parse(text) as unknown) : null };
  };
  try {
    await waitFor('coordinator', coordinator, async () => {
      try {
        return (await call('GET', '/health/ready')).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    });
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
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, lane));
      return performance.now() - started;
    };
    await runSagas(WARMUP, 'warmup');
    const tag = `r${round}`;
    await sleep(STATS_SETTLE_MS);
    const xacts0 = await pgXacts(ctx.adminUrl, ctx.names.accord);
    const cpu0 = processCpuMs(coordinator.process.pid);
    const pg0 = postgresCpuMs();
    const elapsedMs = await runSagas(N, tag);
    const cpu = processCpuMs(coordinator.process.pid) - cpu0;
    const pgCpu = postgresCpuMs() - pg0;
    await sleep(STATS_SETTLE_MS);
    const xacts = (await pgXacts(ctx.adminUrl, ctx.names.accord)) - xacts0;
    const lat = await latencies(ctx.accordDb, tag);
    if (lat.count !== N) throw new Error(`accord: ${lat.count} of ${N} sagas COMPLETED in Postgres`);
    return {
      system: 'accord', round, sagas: N, elapsedMs, perSecond: (N * 1000) / elapsedMs, ...lat,
      cpuPerSaga: cpu / N, pgCpuPerSaga: pgCpu / N, xactsPerSaga: xacts / N,
    };
  } catch (error) {
    process.stderr.write(`--- coordinator output ---\n${coordinator.output()}\n`);
    throw error;
  } finally {
    await http.close();
    await coordinator.stop();
  }
}

// ------------------------------------------------------------------ baseline

async function runBaseline(ctx: Context, round: number): Promise<Measurement> {
  const prefix = `accord_bench_${RUN_ID}_b${round}`;
  ctx.prefixes.push(prefix);
  const tag = `r${round}`;
  const child = startChild(path.join(__dirname, 'baseline.js'), {
    DATABASE_URL: ctx.baselineDb,
    REDIS_URL: ctx.redisUrl,
    QUEUE_PREFIX: prefix,
    PARTICIPANT_URL: `${ctx.participantUrl}/step`,
    BENCH_N: String(N),
    BENCH_WARMUP: String(WARMUP),
    BENCH_CONCURRENCY: String(CONCURRENCY),
    BENCH_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
    BENCH_POOL_SIZE: String(POOL_SIZE),
    BENCH_TAG: tag,
    BENCH_BASELINE_PREPARED: process.env.BENCH_BASELINE_PREPARED ?? '1',
  });
  await waitFor('baseline warm-up', child, () => (child.output().includes('warm\n') ? true : undefined), 600_000);
  const pg0 = postgresCpuMs();
  const xacts0 = await pgXacts(ctx.adminUrl, ctx.names.baseline);
  const code = await child.exited;
  const pgCpu = postgresCpuMs() - pg0;
  await sleep(STATS_SETTLE_MS);
  // minus the one statement that counted the completed sagas
  const xacts = (await pgXacts(ctx.adminUrl, ctx.names.baseline)) - xacts0 - 1;
  const line = child.output().split('\n').find((l) => l.startsWith('result '));
  if (code !== 0 || !line) throw new Error(`baseline exited with ${code}:\n${child.output()}`);
  const result = JSON.parse(line.slice('result '.length)) as { elapsedMs: number; completed: number; cpuMs: number };
  if (result.completed !== N) throw new Error(`baseline: ${result.completed} of ${N} sagas COMPLETED in Postgres`);
  const lat = await latencies(ctx.baselineDb, tag);
  return {
    system: 'baseline', round, sagas: N, elapsedMs: result.elapsedMs, perSecond: (N * 1000) / result.elapsedMs, ...lat,
    cpuPerSaga: result.cpuMs / N, pgCpuPerSaga: pgCpu / N, xactsPerSaga: xacts / N,
  };
}

// ------------------------------------------------------------------ main

interface Context {
  adminUrl: string;
  redisUrl: string;
  accordDb: string;
  baselineDb: string;
  participantUrl: string;
  names: { accord: string; baseline: string };
  prefixes: string[];
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function table(results: Measurement[]): string {
  const head = ['system', 'round', 'sagas', 'wall s', 'sagas/s', 'p50 ms', 'p95 ms', 'p99 ms', 'cpu ms/saga', 'pg cpu ms/saga', 'pg xacts/saga'];
  const rows = results.map((r) => [
    r.system, String(r.round), String(r.sagas), fmt(r.elapsedMs / 1000, 2), fmt(r.perSecond), fmt(r.p50, 1), fmt(r.p95, 1),
    fmt(r.p99, 1), fmt(r.cpuPerSaga, 2), fmt(r.pgCpuPerSaga, 2), fmt(r.xactsPerSaga, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const script = path.join(ROOT, 'scripts', 'provision.mjs');
  const { provision } = (await importEsm(pathToFileURL(script).href)) as ProvisionModule;
  const { databaseUrl, redisUrl } = await provision({ quiet: true });
  const adminUrl = withDatabase(databaseUrl, 'postgres');
  const names = { accord: `accord_bench_${RUN_ID}_accord`, baseline: `accord_bench_${RUN_ID}_base` };
  const ctx: Context = {
    adminUrl,
    redisUrl,
    accordDb: withDatabase(adminUrl, names.accord),
    baselineDb: withDatabase(adminUrl, names.baseline),
    participantUrl: '',
    names,
    prefixes: [],
  };
  const participant = startChild(path.join(__dirname, 'instant-participant.js'), { PORT: '0' });
  const results: Measurement[] = [];
  let failed = false;
  try {
    await adminQuery(adminUrl, `CREATE DATABASE ${names.accord}`);
    await adminQuery(adminUrl, `CREATE DATABASE ${names.baseline}`);
    const migrated = spawnSync(process.execPath, [path.join(DIST, 'apps', 'coordinator', 'migrate.js')], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: ctx.baselineDb, LOG_LEVEL: 'warn' },
      encoding: 'utf8',
    });
    if (migrated.status !== 0) throw new Error(`migrating the baseline database failed:\n${migrated.stderr}${migrated.stdout}`);
    const port = await waitFor('participant', participant, () => /listening (\d+)/.exec(participant.output())?.[1]);
    ctx.participantUrl = `http://127.0.0.1:${port}`;

    process.stdout.write(
      `accord bench: ${N} sagas (3 sequential steps, instant participant) after ${WARMUP} warm-up, ` +
        `≤${CONCURRENCY} open, worker concurrency ${WORKER_CONCURRENCY}, pg pool ${POOL_SIZE}, ${ROUNDS} round(s)\n`,
    );
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? (['accord', 'baseline'] as const) : (['baseline', 'accord'] as const);
      for (const system of order) {
        const m = system === 'accord' ? await runAccord(ctx, round) : await runBaseline(ctx, round);
        results.push(m);
        process.stdout.write(
          `  round ${round} ${system.padEnd(8)} ${fmt(m.perSecond).padStart(5)} sagas/s  p50 ${fmt(m.p50, 1)} ms  p95 ${fmt(m.p95, 1)} ms\n`,
        );
      }
    }
  } catch (error) {
    failed = true;
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  } finally {
    await participant.stop();
    for (const name of Object.values(names)) {
      await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((e: Error) =>
        process.stderr.write(`could not drop ${name}: ${e.message}\n`),
      );
    }
    for (const prefix of ctx.prefixes) await deleteRedisKeys(redisUrl, prefix).catch(() => 0);
  }
  if (failed) process.exit(1);

  const best = (system: Measurement['system']) =>
    results.filter((r) => r.system === system).reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const accord = best('accord');
  const baseline = best('baseline');
  const ratio = accord.perSecond / baseline.perSecond;
  const cpu = cpus();
  process.stdout.write(
    [
      '',
      table(results),
      '',
      `best accord   ${fmt(accord.perSecond)} sagas/s (p50 ${fmt(accord.p50, 1)} ms, p95 ${fmt(accord.p95, 1)} ms)`,
      `best baseline ${fmt(baseline.perSecond)} sagas/s (p50 ${fmt(baseline.p50, 1)} ms, p95 ${fmt(baseline.p95, 1)} ms)`,
      `ratio accord/baseline = ${ratio.toFixed(2)}   target ${TARGET}: ${ratio >= TARGET ? 'met' : 'not met'}   (product target 1.0: ${ratio >= 1 ? 'met' : 'not met'})`,
      '',
      `command: npm run bench   (BENCH_N=${N} BENCH_WARMUP=${WARMUP} BENCH_CONCURRENCY=${CONCURRENCY} BENCH_ROUNDS=${ROUNDS} ` +
        `BENCH_WORKER_CONCURRENCY=${WORKER_CONCURRENCY} BENCH_POOL_SIZE=${POOL_SIZE} ` +
        `BENCH_BASELINE_PREPARED=${process.env.BENCH_BASELINE_PREPARED ?? '1'})`,
      `machine: ${cpu.length} cpu (${cpu[0]?.model ?? 'unknown'}), node ${process.version}, ${process.platform}-${process.arch}; ` +
        'Postgres, Redis, participant, coordinator/baseline and this driver share these cores',
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
