/**
 * Chaos: the coordinator is killed with SIGKILL at random moments while
 * transfers are in flight (twice among hundreds of transfers in `npm test`,
 * six times among thousands in `npm run chaos`), and each time restarted on
 * the same database, queue prefix and port. Every transaction must still
 * finish (COMPLETED or COMPENSATED), without a human, with the bank's money
 * intact and no effect applied twice.
 *
 * The first kill lands half-way through the starts (some start requests die
 * with the process and are sent again, same idempotency key, to its
 * successor); the others once a random share of the transfers has settled.
 *
 * Real processes: the built coordinator, a bank participant (own database,
 * random delays, 10 % injected transient failures: half rolled back, half
 * "lost answers" whose retry meets the barrier), the shared Redis.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { accountIds, expectEveryTransferSettledIntact, prepareTransfers, startSeededBank, startWithBlowHalfway } from '../support/chaos.spec-kit';
import { scaled } from '../support/chaos-report';
import { startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { inFlight, statusCountsInDatabase, type Bank } from '../support/transfers';

const TRANSFERS = scaled(240, 2400);
const KILLS = scaled(2, 6);
const ACCOUNTS = accountIds(20);
const BALANCE = 1_000;
const SETTLE_TIMEOUT_MS = scaled(90_000, 300_000);

let bank: Bank | undefined;
let coordinator: CoordinatorProcess | undefined;
const retired: CoordinatorProcess[] = [];

afterAll(async () => {
  for (const c of [...retired, coordinator]) await c?.kill('SIGKILL').catch(() => undefined);
  await bank?.stop().catch(() => undefined);
});

it(
  `finishes every transfer after the coordinator is SIGKILLed ${KILLS} times at random moments, with no money lost and no effect applied twice`,
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
    const kills: Array<{ when: string; inFlight: number; downMs: number }> = [];
    const crashAndRestart = async (when: string): Promise<void> => {
      const victim = coordinator!;
      await victim.kill('SIGKILL');
      retired.push(victim);
      const down = Date.now();
      const counts = await statusCountsInDatabase(databaseUrl);
      await sleep(300);
      coordinator = await startCoordinator({ label: 'crash', databaseUrl, queuePrefix, port });
      kills.push({ when, inFlight: inFlight(counts), downMs: Date.now() - down });
    };

    // The later kills: each once a random share (5–80 %) of the transfers has
    // settled, plus a random moment up to half a second after that.
    const shares = Array.from({ length: KILLS - 1 }, () => 0.05 + Math.random() * 0.75).sort((a, b) => a - b);
    const laterKills = async (): Promise<void> => {
      for (const share of shares) {
        for (;;) {
          const counts = await statusCountsInDatabase(databaseUrl);
          const total = Object.values(counts).reduce((a, b) => a + b, 0);
          if (total - inFlight(counts) >= TRANSFERS * share) break;
          await sleep(50);
        }
        await sleep(Math.random() * 500);
        await crashAndRestart(`at ${Math.round(share * 100)} % settled`);
      }
    };
    let later = Promise.resolve();
    const starts = await startWithBlowHalfway(api, transfers, async () => {
      await crashAndRestart('half-way through the starts');
      later = laterKills();
    });
    await later;

    await expectEveryTransferSettledIntact({
      label: 'crash',
      scenario: 'coordinator SIGKILLed',
      faults: () => ({ count: kills.length, detail: `SIGKILL + restart ×${kills.length}` }),
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
      // Every kill must have hit transactions in flight, or this test proved less than it says.
      beforeVerdict: () => expect(kills.map((k) => k.inFlight > 0)).toEqual(Array(KILLS).fill(true)),
    });
  },
  scaled(180_000, 900_000),
);
