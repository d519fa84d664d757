/**
 * `npm run soak`: does the coordinator's memory stay flat over a long run?
 * One built coordinator (fresh database and queue prefix, the instant
 * participant) runs SOAK_N (1,000,000) 3-step sagas closed-loop at
 * SOAK_OPEN (64) open through `POST /v1/transactions?waitMs=`, as run.ts
 * drives it, and reads its heap and RSS from /metrics every SOAK_POLL_MS
 * (500). Every SOAK_SAMPLE_EVERY (N/50) transactions it prints a row; at the
 * end the trend of the heap's floor over the second half and a verdict
 * (heap-trend.ts). Postgres grows by design (every transaction is kept
 * unless retention deletes it): memory, not disk, is what the soak watches.
 *
 * The heap is read from the coordinator's own /metrics (prom-client's
 * default metrics; the route needs no token) rather than after a forced GC:
 * --expose-gc or an inspector would change the process under test and need
 * code in it to trigger. A reading is inflated by the garbage not yet
 * collected: the heap climbs by tens of MB between major GCs and drops back
 * to about the live heap at each. So a window's floor is its lowest reading
 * only when a major GC fell in it (accord_nodejs_gc_duration_seconds_count
 * {kind="major"} rose): then it is the reading just after that GC, and a
 * leak lifts it window after window. Windows with no major GC (short ones)
 * have no floor and no say in the trend.
 *
 * Everything created is removed at the end, and on Ctrl-C (which stops the
 * drive and skips the verdict).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import {
  adminQuery, deleteRedisKeys, importEsm, num, ROOT, startBenchCoordinator, startChild, waitFor, withDatabase, type ProvisionModule,
} from './bench-process';
import { FLAT_SHARE, heapTrend, type HeapWindow } from './heap-trend';

const N = Math.max(1, num('SOAK_N', 1_000_000));
const OPEN = Math.max(1, num('SOAK_OPEN', 64));
const SAMPLE_EVERY = Math.max(1, num('SOAK_SAMPLE_EVERY', Math.ceil(N / 50)));
const POLL_MS = Math.max(50, num('SOAK_POLL_MS', 500));
if (N / SAMPLE_EVERY < 4) throw new Error('SOAK_SAMPLE_EVERY must leave at least 4 windows in SOAK_N');

const MB = 1e6;
const DEFINITION = 'soak-3step';

interface Reading {
  heapMb: number;
  rssMb: number;
  /** Major GCs since the coordinator started. */
  majorGcs: number;
}

interface Row {
  done: number;
  elapsedS: number;
  heapMb: number;
  /** Set when a major GC fell in the window. */
  floorMb?: number;
  rssMb: number;
  majorGcsInWindow: number;
  perSecond: number;
}

/** The value of one series (name and labels as printed) in Prometheus text; `missing` when it is not there yet. */
function metric(text: string, series: string, missing?: number): number {
  const found = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (found === undefined && missing === undefined) throw new Error(`/metrics has no ${series}`);
  return found === undefined ? (missing as number) : Number(found.slice(series.length + 1));
}

const HEAD = ['transactions', 'elapsed s', 'heap MB', 'floor MB', 'rss MB', 'major GCs', 'tx/s'];
const WIDTHS = HEAD.map((h) => Math.max(h.length, 9));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(WIDTHS[i])).join('  ');
const rowLine = (r: Row) =>
  line([
    String(r.done), r.elapsedS.toFixed(0), r.heapMb.toFixed(1), r.floorMb?.toFixed(1) ?? '-', r.rssMb.toFixed(1), String(r.majorGcsInWindow),
    r.perSecond.toFixed(0),
  ]);

async function main(): Promise<void> {
  const { provision } = (await importEsm(pathToFileURL(path.join(ROOT, 'scripts', 'provision.mjs')).href)) as ProvisionModule;
  const { databaseUrl, redisUrl } = await provision({ quiet: true });
  const runId = randomBytes(4).toString('hex');
  const adminUrl = withDatabase(databaseUrl, 'postgres');
  const database = `accord_soak_${runId}`;
  const prefix = `accord_soak_${runId}`;
  let interrupted = false;
  const interrupt = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('soak: interrupted, cleaning up (again to quit at once)\n');
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);

  await adminQuery(adminUrl, `CREATE DATABASE ${database}`);
  const participant = startChild(path.join(__dirname, 'instant-participant.js'), { PORT: '0' });
  const coordinator = startBenchCoordinator({ DATABASE_URL: withDatabase(adminUrl, database), REDIS_URL: redisUrl, QUEUE_PREFIX: prefix }, OPEN);
  const { request } = coordinator;
  const read = async (): Promise<Reading> => {
    const { text } = await request('GET', '/metrics');
    return {
      heapMb: metric(text, 'accord_nodejs_heap_size_used_bytes') / MB,
      rssMb: metric(text, 'accord_process_resident_memory_bytes') / MB,
      majorGcs: metric(text, 'accord_nodejs_gc_duration_seconds_count{kind="major"}', 0),
    };
  };
  const rows: Row[] = [];
  let done = 0;
  let retention = '';
  try {
    const participantPort = await waitFor('participant', participant, () => /listening (\d+)/.exec(participant.output())?.[1]);
    await coordinator.ready();
    const step = (name: string) => ({ name, action: { url: `http://127.0.0.1:${participantPort}/${name}`, timeoutMs: 10_000 } });
    const registered = await request('POST', '/v1/definitions', { name: DEFINITION, type: 'saga', steps: [step('s1'), step('s2'), step('s3')] });
    if (registered.status !== 201 && registered.status !== 200) throw new Error(`registering the definition failed: ${registered.status} ${registered.text}`);

    // A production Postgres vacuums as rows die; a server with autovacuum
    // off (this development machine's) would slow the soak down to a crawl
    // as the updated rows bloat the tables, so the soak vacuums for it.
    const vacuumDb = new Client({ connectionString: withDatabase(adminUrl, database) });
    vacuumDb.on('error', (error) => process.stderr.write(`soak: its VACUUM connection failed: ${error.message}\n`));
    await vacuumDb.connect();
    const autovacuum = (await vacuumDb.query<{ autovacuum: string }>('SHOW autovacuum')).rows[0].autovacuum === 'on';
    if (autovacuum) await vacuumDb.end();
    else process.stdout.write('autovacuum is off on this server: the soak runs VACUUM ANALYZE itself after every row\n');
    let vacuuming = Promise.resolve();
    const vacuum = () => {
      if (autovacuum) return;
      vacuuming = vacuuming
        .then(() => vacuumDb.query('VACUUM (ANALYZE) transactions, steps, attempts, idempotency_keys'))
        .then(
          () => undefined,
          (error: Error) => void process.stderr.write(`soak: VACUUM failed: ${error.message}\n`),
        );
    };
    process.stdout.write(
      `accord soak: ${N} sagas (3 sequential steps, instant participant), ≤${OPEN} open, heap read every ${POLL_MS} ms, ` +
        `a row every ${SAMPLE_EVERY} transactions\n${line(HEAD)}\n${line(WIDTHS.map((w) => '-'.repeat(w)))}\n`,
    );
    const started = performance.now();
    let readings: Reading[] = [];
    let windowStarted = started;
    let closing = Promise.resolve();
    let majorGcsAtLastClose = 0;
    // Taken at the boundary, finished in order: a window can close before the previous one's reading is back.
    const closeWindow = (windowDone: number) => {
      const now = performance.now();
      const taken = readings;
      readings = [];
      const perSecond = (SAMPLE_EVERY * 1000) / (now - windowStarted);
      windowStarted = now;
      closing = closing.then(async () => {
        const last = await read();
        const row: Row = {
          done: windowDone, elapsedS: (now - started) / 1000, heapMb: last.heapMb,
          floorMb: last.majorGcs > majorGcsAtLastClose ? Math.min(...taken.map((r) => r.heapMb), last.heapMb) : undefined,
          rssMb: last.rssMb, majorGcsInWindow: last.majorGcs - majorGcsAtLastClose, perSecond,
        };
        majorGcsAtLastClose = last.majorGcs;
        rows.push(row);
        process.stdout.write(`${rowLine(row)}\n`);
        vacuum();
      });
      return closing;
    };
    let driving = true;
    const poller = (async () => {
      while (driving) {
        await sleep(POLL_MS);
        if (driving) readings.push(await read());
      }
    })();
    let next = 0;
    const lane = async () => {
      while (next < N && !interrupted) {
        next++;
        const res = await request('POST', '/v1/transactions?waitMs=60000', { definition: DEFINITION, input: {} });
        const status = (res.text ? (JSON.parse(res.text) as { status?: string }) : null)?.status;
        if (res.status !== 201 || status !== 'COMPLETED') throw new Error(`saga did not complete: HTTP ${res.status} ${res.text}`);
        done++;
        if (done % SAMPLE_EVERY === 0) await closeWindow(done);
      }
    };
    const drive = Promise.all(Array.from({ length: Math.min(OPEN, N) }, lane)).finally(() => {
      driving = false;
    });
    await Promise.all([drive, poller]);
    await vacuuming;
    if (!autovacuum) await vacuumDb.end();
    if (!interrupted) {
      const db = new Client({ connectionString: withDatabase(adminUrl, database) });
      await db.connect();
      try {
        const { rows: [kept] } = await db.query<{ n: number; mb: number }>(
          'SELECT (SELECT count(*) FROM transactions)::int AS n, pg_database_size(current_database()) / 1e6 AS mb',
        );
        const days = process.env.RETENTION_DAYS || '0';
        retention =
          `retention: RETENTION_DAYS=${days}${days === '0' ? ' (off)' : ''}, deleted ${done - kept.n} of ${done} transactions; ` +
          `database ${Number(kept.mb).toFixed(0)} MB at the end: the tables grow by design, the soak watches memory, not disk`;
      } finally {
        await db.end();
      }
    }
  } catch (error) {
    // Ctrl-C reaches the coordinator too: the requests it then fails are no finding.
    if (!interrupted) {
      process.stderr.write(`--- coordinator output ---\n${coordinator.child.output()}\n`);
      throw error;
    }
  } finally {
    await coordinator.stop();
    await participant.stop();
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch((e: Error) =>
      process.stderr.write(`could not drop ${database}: ${e.message}\n`),
    );
    await deleteRedisKeys(redisUrl, prefix).catch(() => 0);
  }
  if (interrupted) {
    process.stdout.write(`soak interrupted after ${done} transactions; no verdict\n`);
    process.exit(130);
  }

  const floors = rows.flatMap((r): HeapWindow[] => (r.floorMb === undefined ? [] : [{ done: r.done, floorMb: r.floorMb }]));
  const trend = heapTrend(floors, N);
  process.stdout.write(
    [
      '',
      `floor: first ${trend.firstFloorMb.toFixed(1)} MB, last ${trend.lastFloorMb.toFixed(1)} MB; slope over the run's second half ` +
        `${trend.slopeMbPer100k.toFixed(2)} ± ${trend.slopeErrorMbPer100k.toFixed(2)} MB per 100k transactions, ${(trend.growthShare * 100).toFixed(1)} % of the floor over ${N} ` +
        `(flat below ${FLAT_SHARE * 100} %)`,
      `heap: ${trend.flat ? 'flat' : 'grows'}`,
      retention,
      `command: npm run soak   (SOAK_N=${N} SOAK_OPEN=${OPEN} SOAK_SAMPLE_EVERY=${SAMPLE_EVERY} SOAK_POLL_MS=${POLL_MS})`,
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
