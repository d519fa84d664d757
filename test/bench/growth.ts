/**
 * `npm run bench -- --growth`: does a step cost the same in a long saga as in
 * a short one? One built coordinator runs sequential sagas of 1, 3, 10 and 50
 * steps (BENCH_GROWTH_STEPS) against the instant participant, the same number
 * of participant calls for each length (BENCH_GROWTH_CALLS, 6000), at most
 * BENCH_GROWTH_OPEN (16) sagas open, after BENCH_GROWTH_WARMUP (3000) calls of
 * warm-up. It prints, per length, steps per second and the CPU per step of the
 * coordinator, Postgres and Redis, each as a ratio to the 3-step saga's: a
 * cost that grows with the length shows as ratios above 1 for the long sagas.
 * CPU is machine-wide for Postgres and Redis: run it on a quiet machine.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  adminQuery, cpuMsOfProcesses, deleteRedisKeys, importEsm, num, processCpuMs, ROOT, startBenchCoordinator, startChild, waitFor,
  withDatabase, type ProvisionModule,
} from './bench-process';

const LENGTHS = (process.env.BENCH_GROWTH_STEPS || '1,3,10,50').split(',').map((n) => {
  const value = Number(n);
  if (!Number.isInteger(value) || value < 1 || value > 200) throw new Error('BENCH_GROWTH_STEPS must list integers from 1 to 200');
  return value;
});
const CALLS = num('BENCH_GROWTH_CALLS', 6000);
const WARMUP_CALLS = num('BENCH_GROWTH_WARMUP', 3000);
const OPEN = Math.max(1, num('BENCH_GROWTH_OPEN', 16));
const REFERENCE = LENGTHS.includes(3) ? 3 : LENGTHS[0];

interface Row {
  steps: number;
  sagas: number;
  stepsPerSecond: number;
  coordinatorCpuPerStep: number;
  pgCpuPerStep: number;
  redisCpuPerStep: number;
}

async function main(): Promise<void> {
  const { provision } = (await importEsm(pathToFileURL(path.join(ROOT, 'scripts', 'provision.mjs')).href)) as ProvisionModule;
  const { databaseUrl, redisUrl } = await provision({ quiet: true });
  const runId = randomBytes(4).toString('hex');
  const adminUrl = withDatabase(databaseUrl, 'postgres');
  const database = `accord_growth_${runId}`;
  const prefix = `accord_growth_${runId}`;
  await adminQuery(adminUrl, `CREATE DATABASE ${database}`);
  const participant = startChild(path.join(__dirname, 'instant-participant.js'), { PORT: '0' });
  const coordinator = startBenchCoordinator({ DATABASE_URL: withDatabase(adminUrl, database), REDIS_URL: redisUrl, QUEUE_PREFIX: prefix }, OPEN);
  const call = async (method: 'GET' | 'POST', pathname: string, body?: unknown) => {
    const { status, text } = await coordinator.request(method, pathname, body);
    return { status, body: (text ? JSON.parse(text) : null) as { status?: string } | null };
  };
  const rows: Row[] = [];
  try {
    const participantPort = await waitFor('participant', participant, () => /listening (\d+)/.exec(participant.output())?.[1]);
    await coordinator.ready();
    for (const length of new Set([...LENGTHS, REFERENCE])) {
      const steps = Array.from({ length }, (_, i) => ({ name: `s${i + 1}`, action: { url: `http://127.0.0.1:${participantPort}/s${i + 1}`, timeoutMs: 10_000 } }));
      const registered = await call('POST', '/v1/definitions', { name: `growth-${length}`, type: 'saga', steps });
      if (registered.status !== 201 && registered.status !== 200) throw new Error(`registering growth-${length}: ${registered.status}`);
    }
    const run = async (length: number, sagas: number): Promise<number> => {
      let next = 0;
      const lane = async () => {
        while (next < sagas) {
          next++;
          const res = await call('POST', '/v1/transactions?waitMs=120000', { definition: `growth-${length}`, input: {} });
          if (res.status !== 201 || res.body?.status !== 'COMPLETED') throw new Error(`a ${length}-step saga did not complete: ${res.status} ${JSON.stringify(res.body)}`);
        }
      };
      const started = performance.now();
      await Promise.all(Array.from({ length: Math.min(OPEN, sagas) }, lane));
      return performance.now() - started;
    };
    await run(REFERENCE, Math.ceil(WARMUP_CALLS / REFERENCE));
    for (const length of LENGTHS) {
      const sagas = Math.max(OPEN, Math.round(CALLS / length));
      const cpu0 = processCpuMs(coordinator.child.process.pid);
      const pg0 = cpuMsOfProcesses('postgres');
      const redis0 = cpuMsOfProcesses('redis-server');
      const elapsedMs = await run(length, sagas);
      const calls = sagas * length;
      rows.push({
        steps: length,
        sagas,
        stepsPerSecond: (calls * 1000) / elapsedMs,
        coordinatorCpuPerStep: (processCpuMs(coordinator.child.process.pid) - cpu0) / calls,
        pgCpuPerStep: (cpuMsOfProcesses('postgres') - pg0) / calls,
        redisCpuPerStep: (cpuMsOfProcesses('redis-server') - redis0) / calls,
      });
      process.stdout.write(`  ${length} steps: ${sagas} sagas, ${rows.at(-1)!.stepsPerSecond.toFixed(0)} steps/s\n`);
    }
  } finally {
    await coordinator.stop();
    await participant.stop();
    await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await deleteRedisKeys(redisUrl, prefix).catch(() => 0);
  }
  const reference = rows.find((r) => r.steps === REFERENCE) ?? rows[0];
  const ratio = (value: number, of: number) => (of > 0 ? (value / of).toFixed(2) : '-');
  const head = ['steps', 'sagas', 'steps/s', 'coord cpu ms/step', 'pg cpu ms/step', 'redis cpu ms/step', `coord ×${REFERENCE}-step`, `pg ×${REFERENCE}-step`, `redis ×${REFERENCE}-step`];
  const cells = rows.map((r) => [
    String(r.steps), String(r.sagas), r.stepsPerSecond.toFixed(0), r.coordinatorCpuPerStep.toFixed(3), r.pgCpuPerStep.toFixed(3), r.redisCpuPerStep.toFixed(3),
    ratio(r.coordinatorCpuPerStep, reference.coordinatorCpuPerStep), ratio(r.pgCpuPerStep, reference.pgCpuPerStep), ratio(r.redisCpuPerStep, reference.redisCpuPerStep),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => v.padStart(widths[i])).join('  ');
  process.stdout.write(
    [
      '',
      `accord growth bench: sequential sagas against an instant participant, ≈${CALLS} calls per length, ≤${OPEN} open, after ${WARMUP_CALLS} calls of warm-up`,
      line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line),
      `command: npm run bench -- --growth   (BENCH_GROWTH_STEPS=${LENGTHS.join(',')} BENCH_GROWTH_CALLS=${CALLS} BENCH_GROWTH_OPEN=${OPEN} BENCH_GROWTH_WARMUP=${WARMUP_CALLS})`,
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`growth bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
