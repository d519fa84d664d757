/**
 * Chaos: three coordinator replicas share one Postgres and one Redis queue
 * prefix; the starts take turns between them. Half-way through the starts
 * one replica is SIGKILLed and never restarted: the other two must finish
 * the work it had claimed (its jobs, its calls in flight) on their own, with
 * every transaction COMPLETED or COMPENSATED, the money intact and no effect
 * applied twice.
 */
import { accountIds, expectEveryTransferSettledIntact, prepareTransfers, startSeededBank, startWithBlowHalfway } from '../support/chaos.spec-kit';
import { scaled } from '../support/chaos-report';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { inFlight, logTail, statusCountsInDatabase, type Bank } from '../support/transfers';

const TRANSFERS = scaled(80, 1500);
const ACCOUNTS = accountIds(20);
const BALANCE = 1_000;
const SETTLE_TIMEOUT_MS = scaled(90_000, 300_000);

let bank: Bank | undefined;
const replicas: CoordinatorProcess[] = [];

afterAll(async () => {
  for (const r of replicas) await r.kill('SIGKILL').catch(() => undefined);
  await bank?.stop().catch(() => undefined);
});

it(
  'finishes the work of a SIGKILLed replica on the two others, without a restart',
  async () => {
    const seeded = await startSeededBank('replicas', ACCOUNTS, BALANCE);
    bank = seeded.bank;
    // Three replicas call one bank: a third of the usual workers each, so the
    // bank sees the load of one coordinator, not three.
    const env = { WORKER_CONCURRENCY: '24' };
    const first = await startCoordinator({ label: 'replicas', env });
    replicas.push(first);
    const { databaseUrl, queuePrefix } = first;
    for (let i = 1; i < 3; i++) replicas.push(await startCoordinator({ label: 'replicas', databaseUrl, queuePrefix, env }));
    const [survivor, , victim] = replicas;
    const { transfers } = await prepareTransfers(survivor, bank.url, {
      count: TRANSFERS,
      accounts: ACCOUNTS,
      balance: BALANCE,
      seed: 333,
      keyPrefix: `replicas-${Date.now().toString(36)}`,
    });
    const apis = replicas.map((r) => new Api(r.url));

    let killed = '';
    const starts = await startWithBlowHalfway(apis, transfers, async () => {
      const counts = await statusCountsInDatabase(databaseUrl);
      await victim.kill('SIGKILL');
      killed = `replica 3 of 3 SIGKILLed half-way through the starts (${inFlight(counts)} in flight), not restarted`;
      if (inFlight(counts) === 0) throw new Error('nothing was in flight when the replica died: the test would prove nothing');
    });

    await expectEveryTransferSettledIntact({
      label: 'replicas',
      scenario: 'replica SIGKILLed',
      faults: () => ({ count: 1, detail: '1 of 3 replicas SIGKILLed, not restarted' }),
      api: apis[0],
      bank,
      transfers,
      starts,
      initial: seeded.initial,
      settleTimeoutMs: SETTLE_TIMEOUT_MS,
      settleWhen: 'on the two replicas left',
      recoveredSince: 'after the last start',
      coordinatorLog: () => replicas.slice(0, 2).map((r, i) => `--- replica ${i + 1}\n${logTail(r.logs())}`).join('\n'),
      describeChaos: () => killed,
      afterWaiting: () => {
        for (const r of replicas.slice(0, 2)) {
          if (r.process.exitCode !== null || r.process.signalCode !== null) throw new Error(`a surviving replica exited:\n${logTail(r.logs(), 60)}`);
        }
      },
    });
  },
  scaled(180_000, 600_000),
);
