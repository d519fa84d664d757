/**
 * Chaos: a bank that fails 20 % of its calls (half rolled back, half "lost
 * answers" after the commit), answers slowly (up to 300 ms), holds 5 % of the
 * calls past the coordinator's 700 ms call timeout before serving them (the
 * call times out, then applies while the retry is on its way), and answers
 * another 5 % only after the coordinator gave up. Every transfer must settle
 * (COMPLETED, COMPENSATED, or STUCK with a reason) with the money intact and
 * no effect applied twice — and once settled, the late answers still arriving
 * must not move any transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { accountIds, expectEveryTransferSettledIntact, prepareTransfers, startSeededBank, startWithBlowHalfway } from '../support/chaos.spec-kit';
import { scaled } from '../support/chaos-report';
import { startCoordinator, type Api, type CoordinatorProcess } from '../support/coordinator-process';
import { type Bank } from '../support/transfers';

const TRANSFERS = scaled(60, 500);
const ACCOUNTS = accountIds(20);
const BALANCE = 1_000;
const CALL_TIMEOUT_MS = 700;
const LATE_MS = 1_500;
const SETTLE_TIMEOUT_MS = scaled(120_000, 400_000);

let bank: Bank | undefined;
let coordinator: CoordinatorProcess | undefined;

afterAll(async () => {
  await coordinator?.kill('SIGKILL').catch(() => undefined);
  await bank?.stop().catch(() => undefined);
});

it(
  'settles every transfer against a participant that fails, is slow, times out and answers late, with the money intact',
  async () => {
    const seeded = await startSeededBank('flaky', ACCOUNTS, BALANCE, {
      failRate: 0.2,
      delayMs: 300,
      env: { BANK_LATE_RATE: '0.05', BANK_HANG_RATE: '0.05', BANK_LATE_MS: String(LATE_MS) },
    });
    bank = seeded.bank;
    coordinator = await startCoordinator({ label: 'flaky' });
    const { api, transfers } = await prepareTransfers(coordinator, bank.url, {
      count: TRANSFERS,
      accounts: ACCOUNTS,
      balance: BALANCE,
      seed: 2020,
      keyPrefix: `flaky-${Date.now().toString(36)}`,
      callTimeoutMs: CALL_TIMEOUT_MS,
    });
    const starts = await startWithBlowHalfway(api, transfers, () => Promise.resolve());
    let faults: Record<string, number> = {};

    await expectEveryTransferSettledIntact({
      label: 'flaky',
      scenario: 'flaky participant',
      faults: () => ({
        count: Object.values(faults).reduce((a, b) => a + b, 0),
        detail: Object.entries(faults).map(([kind, n]) => `${kind} ${n}`).join(', '),
      }),
      api,
      bank,
      transfers,
      starts,
      initial: seeded.initial,
      settleTimeoutMs: SETTLE_TIMEOUT_MS,
      settleWhen: 'after the starts',
      recoveredSince: 'after the last start',
      coordinatorLog: () => coordinator!.logs(),
      describeChaos: () => `bank faults ${JSON.stringify(faults)}`,
      afterWaiting: () => undefined,
      beforeVerdict: () => {
        // Every kind of fault happened, or the run proved less than it says.
        for (const kind of ['before-commit', 'lost-answer', 'late', 'hang']) expect([kind, faults[kind] ?? 0]).not.toEqual([kind, 0]);
      },
      beforeReport: async () => {
        faults = await bank!.faults();
      },
    });

    // Late answers to calls the coordinator gave up on arrive after the
    // transactions settled: none of them may move a transaction.
    const settled = await views(api, [...starts.ids.values()]);
    await sleep(LATE_MS + 1_000);
    const later = await views(api, [...starts.ids.values()]);
    const moved = [...settled].filter(([id, view]) => later.get(id) !== view).map(([id]) => id);
    expect(moved).toEqual([]);
  },
  scaled(200_000, 900_000),
);

/** id → the transaction's view as JSON text. */
async function views(api: Api, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const id of ids) out.set(id, JSON.stringify((await api.get(`/v1/transactions/${id}`)).body));
  return out;
}
