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
import { accountIds, expectEveryTransferSettledIntact, prepareTransfers, startSeededBank, startWithBlowHalfway } from '../support/chaos.spec-kit';
import { scaled } from '../support/chaos-report';
import { startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startRedis, type RedisProcess } from '../support/redis-process';
import { inFlight, logTail, statusCountsInDatabase } from '../support/transfers';

const TRANSFERS = scaled(220, 1000);
const ACCOUNTS = accountIds(20);
const BALANCE = 1_000;
const SETTLE_TIMEOUT_MS = scaled(90_000, 300_000);
const TEST_TIMEOUT_MS = scaled(180_000, 600_000);

/** Everything a scenario started, so afterAll can stop it even after a failure. */
const cleanup: Array<() => Promise<void>> = [];

afterAll(async () => {
  for (const stop of cleanup.reverse()) await stop().catch(() => undefined);
});

interface Scenario {
  label: string;
  /** Its name in the chaos report. */
  scenario: string;
  /** What to do to Redis at each moment, returning a line for the summary. */
  whenHalfStarted: (redis: RedisProcess) => Promise<string>;
  whenAllStarted: (redis: RedisProcess) => Promise<string>;
}

async function run(scenario: Scenario): Promise<void> {
  const { label } = scenario;
  const redis = await startRedis();
  cleanup.push(() => redis.stop());
  const { bank, initial } = await startSeededBank(label, ACCOUNTS, BALANCE);
  cleanup.push(() => bank.stop());

  const coordinator: CoordinatorProcess = await startCoordinator({ label, env: { REDIS_URL: redis.url } });
  cleanup.push(() => coordinator.kill('SIGKILL'));
  const { api, transfers } = await prepareTransfers(coordinator, bank.url, {
    count: TRANSFERS,
    accounts: ACCOUNTS,
    balance: BALANCE,
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
  const starts = await startWithBlowHalfway(api, transfers, () => chaos('half-way through the starts', scenario.whenHalfStarted));
  // Second blow once every start is accepted: now delayed retry jobs are lost too.
  await chaos('after the starts', scenario.whenAllStarted);

  await expectEveryTransferSettledIntact({
    label,
    scenario: scenario.scenario,
    faults: () => ({ count: events.length, detail: scenario.scenario.replace(/^Redis /, '') + ` ×${events.length}` }),
    api,
    bank,
    transfers,
    starts,
    initial,
    settleTimeoutMs: SETTLE_TIMEOUT_MS,
    settleWhen: 'after Redis lost its data',
    recoveredSince: 'later',
    coordinatorLog: () => coordinator.logs(),
    describeChaos: () => events.join('; '),
    afterWaiting: () => {
      const alive = coordinator.process.exitCode === null && coordinator.process.signalCode === null;
      if (!alive) {
        throw new Error(
          `the coordinator died (${coordinator.process.signalCode ?? coordinator.process.exitCode}) when Redis went away ` +
            `instead of reconnecting; its log:\n${logTail(coordinator.logs(), 60)}`,
        );
      }
    },
  });
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
  () => run({ label: 'redis_kill', scenario: 'Redis restarted empty', whenHalfStarted: killAndRestart, whenAllStarted: killAndRestart }),
  TEST_TIMEOUT_MS,
);

it(
  'finishes every transfer after FLUSHALL, twice',
  () => run({ label: 'redis_flush', scenario: 'Redis FLUSHALL', whenHalfStarted: flushAll, whenAllStarted: flushAll }),
  TEST_TIMEOUT_MS,
);
