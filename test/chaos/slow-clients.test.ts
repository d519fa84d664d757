/**
 * Chaos: slowloris. While transfers run, hundreds of hostile sockets hold on
 * to the coordinator's HTTP server — idle ones, ones sending their headers a
 * line a second, ones trickling a body a byte a second — each opened again as
 * soon as the server closes it, and the coordinator runs with a file limit
 * (1024) that they exhaust. The normal traffic's starts get through (sent
 * again while refused) and every transfer settles with the money intact and
 * no effect applied twice: a local shortage must not roll sagas back. The
 * hostile sockets stop once the transfers settled, before the checks read
 * the API.
 */
import { accountIds, expectEveryTransferSettledIntact, prepareTransfers, startSeededBank, startWithBlowHalfway } from '../support/chaos.spec-kit';
import { scaled } from '../support/chaos-report';
import { ADMIN_TOKEN, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startSlowClients, type SlowClients } from '../support/slow-clients';
import { logTail, type Bank } from '../support/transfers';

const TRANSFERS = scaled(60, 1000);
/** Hostile sockets of each of the three kinds, kept open all along. */
const PER_KIND = scaled(350, 400);
const ACCOUNTS = accountIds(20);
const BALANCE = 1_000;
const SETTLE_TIMEOUT_MS = scaled(90_000, 300_000);

let bank: Bank | undefined;
let coordinator: CoordinatorProcess | undefined;
let hostile: SlowClients | undefined;

afterAll(async () => {
  hostile?.stop();
  await coordinator?.kill('SIGKILL').catch(() => undefined);
  await bank?.stop().catch(() => undefined);
});

it(
  'completes the normal traffic next to slow and idle clients',
  async () => {
    const seeded = await startSeededBank('slowloris', ACCOUNTS, BALANCE);
    bank = seeded.bank;
    // A short headers timeout, so the idle and slow-header sockets are seen closed within the run.
    coordinator = await startCoordinator({ label: 'slowloris', fileLimit: 1024, env: { HTTP_HEADERS_TIMEOUT_MS: '2000' } });
    const { api, transfers } = await prepareTransfers(coordinator, bank.url, {
      count: TRANSFERS,
      accounts: ACCOUNTS,
      balance: BALANCE,
      seed: 1024,
      keyPrefix: `slowloris-${Date.now().toString(36)}`,
    });
    hostile = startSlowClients(coordinator.port, PER_KIND, ADMIN_TOKEN);
    const starts = await startWithBlowHalfway(api, transfers, () => Promise.resolve());

    const opened = () => Object.values(hostile!.opened).reduce((a, b) => a + b, 0);
    await expectEveryTransferSettledIntact({
      label: 'slowloris',
      scenario: 'slow and idle clients',
      faults: () => ({ count: opened(), detail: `${PER_KIND} each idle/slow-header/slow-body sockets, reopened when closed` }),
      api,
      bank,
      transfers,
      starts,
      initial: seeded.initial,
      settleTimeoutMs: SETTLE_TIMEOUT_MS,
      settleWhen: 'next to the slow clients',
      recoveredSince: 'after the last start',
      coordinatorLog: () => coordinator!.logs(),
      describeChaos: () => `hostile sockets opened ${JSON.stringify(hostile!.opened)}, ${hostile!.closedByServer} closed by the server`,
      afterWaiting: () => {
        // The sagas settled next to them; the checks that follow read the API at ease.
        hostile!.stop();
        const c = coordinator!;
        if (c.process.exitCode !== null || c.process.signalCode !== null) {
          throw new Error(`the coordinator died (${c.process.signalCode ?? c.process.exitCode}) under slow clients:\n${logTail(c.logs(), 60)}`);
        }
      },
    });
    // The server's timeouts, not the test, ended hostile sockets.
    expect(hostile.closedByServer).toBeGreaterThan(0);
  },
  scaled(180_000, 600_000),
);
