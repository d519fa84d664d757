/**
 * Chaos: the coordinator's Postgres goes away while transfers are in flight —
 * once by a clean restart (every client disconnected), once by a crash
 * (SIGQUIT, recovery from the WAL when it comes back) — on a cluster of the
 * test's own. The coordinator must ride through both (answer 503 while it is
 * gone, reconnect, not crash) and resume: every transaction finishes
 * COMPLETED or COMPENSATED with the bank's money intact and no effect applied
 * twice. The bank keeps its accounts on the shared Postgres, so only the
 * coordinator's store is hit.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { accountIds, expectEveryTransferSettledIntact, prepareTransfers, startSeededBank, startWithBlowHalfway } from '../support/chaos.spec-kit';
import { scaled } from '../support/chaos-report';
import { startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startPostgres, type PostgresProcess } from '../support/postgres-process';
import { inFlight, logTail, statusCountsInDatabase, type Bank } from '../support/transfers';

const TRANSFERS = scaled(100, 1000);
const ACCOUNTS = accountIds(20);
const BALANCE = 1_000;
const SETTLE_TIMEOUT_MS = scaled(90_000, 300_000);

let postgres: PostgresProcess | undefined;
let bank: Bank | undefined;
let coordinator: CoordinatorProcess | undefined;

afterAll(async () => {
  await coordinator?.kill('SIGKILL').catch(() => undefined);
  await bank?.stop().catch(() => undefined);
  await postgres?.destroy().catch(() => undefined);
});

it(
  'rides through a restart and a crash of its Postgres and resumes every transfer, with the money intact',
  async () => {
    postgres = await startPostgres();
    const admin = new Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE accord');
    await admin.end();
    const databaseUrl = postgres.url.replace(/\/postgres$/, '/accord');

    const seeded = await startSeededBank('pg_restart', ACCOUNTS, BALANCE);
    bank = seeded.bank;
    coordinator = await startCoordinator({ label: 'pg_restart', databaseUrl });
    const { api, transfers } = await prepareTransfers(coordinator, bank.url, {
      count: TRANSFERS,
      accounts: ACCOUNTS,
      balance: BALANCE,
      seed: 5432,
      keyPrefix: `pg-restart-${Date.now().toString(36)}`,
    });

    const events: string[] = [];
    const blow = async (when: string, mode: 'fast' | 'immediate'): Promise<void> => {
      const counts = await statusCountsInDatabase(databaseUrl);
      const stopping = Date.now();
      await (mode === 'fast' ? postgres!.stop() : postgres!.crash());
      const stopped = Date.now();
      await sleep(2_000);
      await postgres!.start();
      const took = `stopping took ${stopped - stopping} ms, starting ${Date.now() - stopped - 2_000} ms`;
      events.push(`Postgres ${mode === 'fast' ? 'restarted' : 'crashed (SIGQUIT) and restarted'} ${when}, down 2 s (${inFlight(counts)} in flight; ${took})`);
      if (inFlight(counts) === 0) throw new Error(`nothing was in flight ${when}: the test would prove nothing`);
    };
    const starts = await startWithBlowHalfway(
      api,
      transfers,
      () => blow('half-way through the starts', 'fast'),
      () => `${events.join('; ')}\ncoordinator:\n${logTail(coordinator!.logs(), 60)}\npostgres:\n${logTail(postgres!.logs(), 30)}`,
    );
    await blow('after the starts', 'immediate');

    await expectEveryTransferSettledIntact({
      label: 'pg_restart',
      scenario: 'Postgres restarted',
      faults: () => ({ count: events.length, detail: `restart + crash-restart, 2 s down each` }),
      api,
      bank,
      transfers,
      starts,
      initial: seeded.initial,
      settleTimeoutMs: SETTLE_TIMEOUT_MS,
      settleWhen: 'after Postgres came back',
      recoveredSince: 'after the crash',
      coordinatorLog: () => coordinator!.logs(),
      describeChaos: () => events.join('; '),
      afterWaiting: () => {
        const c = coordinator!;
        if (c.process.exitCode !== null || c.process.signalCode !== null) {
          throw new Error(`the coordinator died (${c.process.signalCode ?? c.process.exitCode}) when Postgres went away:\n${logTail(c.logs(), 60)}`);
        }
      },
    });
    // Some starts met the outage and were answered 503 (or refused), then sent again.
    expect(starts.resent).toBeGreaterThan(0);
  },
  scaled(180_000, 600_000),
);
