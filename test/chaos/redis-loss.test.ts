/**
 * Chaos: Redis loses everything while hundreds of transfers are in flight —
 * once by dying (SIGKILL, restarted empty on the same port a second later),
 * once by FLUSHALL. Every queued, active and delayed (retry) job is gone;
 * Postgres is the only source of truth, so the coordinator must ride out the
 * outage (reconnect, not crash) and its sweeper must re-create the jobs. Every
 * transaction must finish COMPLETED or COMPENSATED with the bank's money
 * intact and no effect applied twice.
 *
 * Real processes: the built coordinator on a private redis-server, a bank
 * participant (own database, random delays, 10 % injected transient failures).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startRedis, type RedisProcess } from '../support/redis-process';
import {
  checkAttemptLogs,
  countByStatus,
  findViolations,
  inFlight,
  listTransfers,
  logTail,
  planTransfers,
  registerTransfer,
  startBank,
  startTransfers,
  statusCountsInDatabase,
  waitUntilSettled,
  type Bank,
} from '../support/transfers';

const TRANSFERS = 220;
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(2, '0')}`);
const BALANCE = 1_000;
const SETTLE_TIMEOUT_MS = 90_000;

/** Everything a scenario started, so afterAll can stop it even after a failure. */
const cleanup: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
});

interface Scenario {
  label: string;
  /** What to do to Redis at each moment, returning a line for the summary. */
  whenHalfStarted: (redis: RedisProcess) => Promise<string>;
  whenAllStarted: (redis: RedisProcess) => Promise<string>;
}

async function run(scenario: Scenario): Promise<void> {
  const { label } = scenario;
  const redis = await startRedis();
  cleanup.push(() => redis.stop());
  const bank: Bank = await startBank(label, { failRate: 0.1, delayMs: 40 });
  cleanup.push(() => bank.stop());
  await bank.seed(Object.fromEntries(ACCOUNTS.map((a) => [a, BALANCE])));
  const initial = await bank.balances();

  const coordinator: CoordinatorProcess = await startCoordinator({ label, env: { REDIS_URL: redis.url } });
  cleanup.push(() => coordinator.kill('SIGKILL'));
  const api = new Api(coordinator.url);
  await registerTransfer(api, bank.url);

  const transfers = planTransfers({
    count: TRANSFERS,
    accounts: ACCOUNTS,
    balance: BALANCE,
    hopelessShare: 0.1,
    maxAmount: 150,
    seed: 7 + label.length,
    keyPrefix: `${label}-${Date.now().toString(36)}`,
  });

  const events: string[] = [];
  const chaos = async (when: string, act: (r: RedisProcess) => Promise<string>): Promise<void> => {
    const counts = await statusCountsInDatabase(coordinator.databaseUrl);
    const what = await act(redis);
    events.push(`${what} ${when} (${inFlight(counts)} in flight)`);
    if (inFlight(counts) === 0) throw new Error(`nothing was in flight ${when}: the test would prove nothing`);
  };

  // First blow mid-starts: start requests meet a Redis that is gone and are
  // sent again with the same idempotency key.
  let first: Promise<void> | null = null;
  const starts = await startTransfers(api, transfers, {
    concurrency: 32,
    retryForMs: 60_000,
    onAccepted: (accepted) => {
      if (accepted >= TRANSFERS / 2 && !first) {
        first = chaos('half-way through the starts', scenario.whenHalfStarted);
        first.catch(() => undefined); // awaited (and rethrown) below
      }
    },
  });
  await first;
  // Second blow once every start is accepted: now delayed retry jobs are lost too.
  await chaos('after the starts', scenario.whenAllStarted);

  const recoveryStarted = Date.now();
  const ids = [...starts.ids.values()];
  const { statuses, settled } = await waitUntilSettled(api, ids, SETTLE_TIMEOUT_MS);
  const recoveryMs = Date.now() - recoveryStarted;

  const alive = coordinator.process.exitCode === null && coordinator.process.signalCode === null;
  if (!alive) {
    throw new Error(
      `the coordinator died (${coordinator.process.signalCode ?? coordinator.process.exitCode}) when Redis went away ` +
        `instead of reconnecting; its log:\n${logTail(coordinator.logs(), 60)}`,
    );
  }
  const listed = await listTransfers(api);
  const effects = await bank.effects();
  const final = await bank.balances();
  const counts = countByStatus(listed.map((l) => l.status));
  console.log(
    `${label}: ${TRANSFERS} transfers; starts created=${starts.created} replayed=${starts.replayed} resent=${starts.resent}; ` +
      `${events.join('; ')}; all settled ${recoveryMs} ms later: ${JSON.stringify(counts)}; ${effects.length} effects`,
  );

  if (!settled) {
    const open = ids.filter((id) => !['COMPLETED', 'COMPENSATED', 'RESOLVED', 'STUCK'].includes(statuses.get(id) ?? ''));
    throw new Error(
      `${open.length} transactions did not settle within ${SETTLE_TIMEOUT_MS} ms after Redis lost its data, e.g. ` +
        `${open.slice(0, 5).map((id) => `${id}=${statuses.get(id)}`).join(', ')}\ncoordinator log:\n${logTail(coordinator.logs())}`,
    );
  }
  expect(findViolations({ transfers, ids: starts.ids, listed, effects, initial, final })).toEqual([]);
  expect(listed).toHaveLength(TRANSFERS);
  expect(final.total).toBe(initial.total);
  expect(counts.COMPLETED).toBeGreaterThan(0);
  expect(counts.COMPENSATED).toBeGreaterThan(0);
  expect(await checkAttemptLogs(api, statuses, ids)).toEqual([]);
}

/** SIGKILL, about a second of no Redis at all, then an empty one on the same port. */
async function killAndRestart(redis: RedisProcess): Promise<string> {
  await redis.kill('SIGKILL');
  await sleep(1_000);
  await redis.restart();
  const keys = await redis.command('DBSIZE');
  return `Redis SIGKILLed and restarted empty (DBSIZE right after: ${keys.slice(1)})`;
}

async function flushAll(redis: RedisProcess): Promise<string> {
  const before = await redis.command('DBSIZE');
  await redis.flushall();
  return `FLUSHALL (${before.slice(1)} keys)`;
}

it(
  'finishes every transfer after Redis is SIGKILLed and comes back empty, twice',
  () => run({ label: 'redis_kill', whenHalfStarted: killAndRestart, whenAllStarted: killAndRestart }),
  180_000,
);

it(
  'finishes every transfer after FLUSHALL, twice',
  () => run({ label: 'redis_flush', whenHalfStarted: flushAll, whenAllStarted: flushAll }),
  180_000,
);
