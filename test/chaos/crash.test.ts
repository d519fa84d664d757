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
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
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

const TRANSFERS = 240;
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `acct-${String(i).padStart(2, '0')}`);
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
    bank = await startBank('crash', { failRate: 0.1, delayMs: 40 });
    await bank.seed(Object.fromEntries(ACCOUNTS.map((a) => [a, BALANCE])));
    const initial = await bank.balances();

    coordinator = await startCoordinator({ label: 'crash' });
    const { databaseUrl, queuePrefix, port } = coordinator;
    const api = new Api(coordinator.url);
    await registerTransfer(api, bank.url);

    const transfers = planTransfers({
      count: TRANSFERS,
      accounts: ACCOUNTS,
      balance: BALANCE,
      hopelessShare: 0.1,
      maxAmount: 150,
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
    let firstKill: Promise<void> | null = null;
    const starts = await startTransfers(api, transfers, {
      concurrency: 32,
      retryForMs: 60_000,
      onAccepted: (accepted) => {
        if (accepted >= TRANSFERS / 2 && !firstKill) {
          firstKill = crashAndRestart('during the starts');
          firstKill.catch(() => undefined); // awaited (and rethrown) below
        }
      },
    });
    await firstKill;

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

    const recoveryStarted = Date.now();
    const ids = [...starts.ids.values()];
    const { statuses, settled } = await waitUntilSettled(api, ids, SETTLE_TIMEOUT_MS);
    const recoveryMs = Date.now() - recoveryStarted;

    const listed = await listTransfers(api);
    const effects = await bank.effects();
    const final = await bank.balances();
    const counts = countByStatus(listed.map((l) => l.status));
    console.log(
      `crash: ${TRANSFERS} transfers; starts created=${starts.created} replayed=${starts.replayed} resent=${starts.resent}; ` +
        kills.map((k) => `kill ${k.when}: ${k.inFlight} in flight, back after ${k.downMs} ms`).join('; ') +
        `; all settled ${recoveryMs} ms after the last restart: ${JSON.stringify(counts)}; ${effects.length} effects`,
    );

    // Both kills must have hit transactions in flight, or this test proved nothing.
    expect(kills.map((k) => k.inFlight > 0)).toEqual([true, true]);
    if (!settled) {
      const open = ids.filter((id) => !['COMPLETED', 'COMPENSATED', 'RESOLVED', 'STUCK'].includes(statuses.get(id) ?? ''));
      throw new Error(
        `${open.length} transactions did not settle within ${SETTLE_TIMEOUT_MS} ms after the restart, e.g. ` +
          `${open.slice(0, 5).map((id) => `${id}=${statuses.get(id)}`).join(', ')}\ncoordinator log:\n${logTail(coordinator!.logs())}`,
      );
    }
    expect(findViolations({ transfers, ids: starts.ids, listed, effects, initial, final })).toEqual([]);
    expect(listed).toHaveLength(TRANSFERS);
    expect(final.total).toBe(initial.total);
    // Both outcomes happened: refusals were rolled back, the rest went through.
    expect(counts.COMPLETED).toBeGreaterThan(0);
    expect(counts.COMPENSATED).toBeGreaterThan(0);
    expect(await checkAttemptLogs(api, statuses, ids)).toEqual([]);
  },
  180_000,
);
