/**
 * Chaos: the coordinator is killed with SIGKILL — twice — while hundreds of
 * transfers are in flight, and restarted on the same database, queue prefix
 * and port. Every transaction must still finish (COMPLETED or COMPENSATED),
 * without a human, with the bank's money intact and no effect applied twice.
 *
 * Real processes: the built coordinator, a bank participant (own database,
 * random delays, 10 % injected transient failures: half rolled back, half
 * "lost answers" whose retry meets the barrier), the shared Redis.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { accountIds, expectEveryTransferSettledIntact, prepareTransfers, startSeededBank, startWithBlowHalfway } from '../support/chaos.spec-kit';
import { startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { inFlight, statusCountsInDatabase, type Bank } from '../support/transfers';

const TRANSFERS = 240;
const ACCOUNTS = accountIds(20);
const BALANCE = 1_000;
const SETTLE_TIMEOUT_MS = 90_000;

let bank: Bank | undefined;
let coordinator: CoordinatorProcess | undefined;
const retired: CoordinatorProcess[] = [];

afterAll(async () => {
  for (const c of [...retired, coordinator]) await c?.kill('SIGKILL').catch(() => undefined);
  await bank?.stop().catch(() => undefined);
});

it(
  'finishes every transfer after the coordinator is SIGKILLed mid-run, with no money lost and no effect applied twice',
  async () => {
    const seeded = await startSeededBank('crash', ACCOUNTS, BALANCE);
    bank = seeded.bank;
    const { initial } = seeded;

    coordinator = await startCoordinator({ label: 'crash' });
    const { databaseUrl, queuePrefix, port } = coordinator;
    const { api, transfers } = await prepareTransfers(coordinator, bank.url, {
      count: TRANSFERS,
      accounts: ACCOUNTS,
      balance: BALANCE,
      seed: 20240611,
      keyPrefix: `crash-${Date.now().toString(36)}`,
    });

    /** SIGKILL, note what was in flight, restart on the same database/prefix/port. */
    const kills: Array<{ when: string; inFlight: number; counts: Record<string, number>; downMs: number }> = [];
    const crashAndRestart = async (when: string): Promise<void> => {
      const victim = coordinator!;
      await victim.kill('SIGKILL');
      retired.push(victim);
      const down = Date.now();
      const counts = await statusCountsInDatabase(databaseUrl);
      await sleep(300);
      coordinator = await startCoordinator({ label: 'crash', databaseUrl, queuePrefix, port });
      kills.push({ when, inFlight: inFlight(counts), counts, downMs: Date.now() - down });
    };

    // Kill #1 in the middle of the starts: some start requests die with the
    // process and are sent again (same idempotency key) to its successor.
    const starts = await startWithBlowHalfway(api, transfers, () => crashAndRestart('during the starts'));

    // Kill #2 once every start is accepted and some transfers have finished,
    // while many are mid-call or waiting for a delayed retry.
    const secondKillBy = Date.now() + 30_000;
    for (;;) {
      const counts = await statusCountsInDatabase(databaseUrl);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total - inFlight(counts) >= TRANSFERS * 0.3 || Date.now() > secondKillBy) break;
      await sleep(50);
    }
    await crashAndRestart('after the starts');

    await expectEveryTransferSettledIntact({
      label: 'crash',
      api,
      bank,
      transfers,
      starts,
      initial,
      settleTimeoutMs: SETTLE_TIMEOUT_MS,
      settleWhen: 'after the restart',
      recoveredSince: 'after the last restart',
      coordinatorLog: () => coordinator!.logs(),
      describeChaos: () => kills.map((k) => `kill ${k.when}: ${k.inFlight} in flight, back after ${k.downMs} ms`).join('; '),
      // Both kills must have hit transactions in flight, or this test proved nothing.
      beforeVerdict: () => expect(kills.map((k) => k.inFlight > 0)).toEqual([true, true]),
    });
  },
  180_000,
);
