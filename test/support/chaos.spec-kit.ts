/**
 * The common run of the saga chaos tests (crash, redis, postgres, flaky
 * participants, replicas, slow clients): a seeded bank,
 * a plan of transfers started 32 at a time with one blow struck half-way
 * through the starts, then waiting for every transfer and checking that the
 * money is intact, nothing was applied twice and both outcomes happened.
 * Test-only (uses jest's `expect`): excluded from the build as `*.spec-kit.ts`.
 */
import type { ResponseOf } from '@accord/contracts';
import { Api, type CoordinatorProcess } from './coordinator-process';
import {
  checkAttemptLogs,
  countByStatus,
  findViolations,
  listTransfers,
  logTail,
  planTransfers,
  registerTransfer,
  startBank,
  startTransfers,
  waitUntilSettled,
  type Balances,
  type Bank,
  type BankFaults,
  type Listed,
  type StartReport,
  type Transfer,
} from './transfers';
import { recordScenario } from './chaos-report';

/** `n` account ids, `acct-00`, `acct-01`, … */
export const accountIds = (n: number): string[] => Array.from({ length: n }, (_, i) => `acct-${String(i).padStart(2, '0')}`);

/** A bank (default: 10 % injected transient failures and random delays), every account seeded with `balance`. */
export async function startSeededBank(
  label: string,
  accounts: readonly string[],
  balance: number,
  faults: BankFaults = { failRate: 0.1, delayMs: 40 },
): Promise<{ bank: Bank; initial: Balances }> {
  const bank = await startBank(label, faults);
  try {
    await bank.seed(Object.fromEntries(accounts.map((a) => [a, balance])));
    return { bank, initial: await bank.balances() };
  } catch (error) {
    await bank.stop().catch(() => undefined);
    throw error;
  }
}

/**
 * Registers the transfer saga (against `bankUrl`) with the coordinator and
 * plans the saga chaos tests' transfers: 10 % hopeless, ordinary amounts 1..150.
 */
export async function prepareTransfers(
  coordinator: CoordinatorProcess,
  bankUrl: string,
  plan: { count: number; accounts: string[]; balance: number; seed: number; keyPrefix: string; callTimeoutMs?: number },
): Promise<{ api: Api; transfers: Transfer[] }> {
  const api = new Api(coordinator.url);
  await registerTransfer(api, bankUrl, plan.callTimeoutMs);
  return { api, transfers: planTransfers({ ...plan, hopelessShare: 0.1, maxAmount: 150 }) };
}

/**
 * Starts every transfer, 32 at a time, resending through outages for up to a
 * minute; `blow` runs (once) as soon as half of them are accepted, and its
 * failure is rethrown after the starts.
 */
export async function startWithBlowHalfway(
  apis: Api | readonly Api[],
  transfers: readonly Transfer[],
  blow: () => Promise<void>,
  /** What to add to a failure of the starts (the coordinator's log tail, say). */
  explain?: () => string,
): Promise<StartReport> {
  let blown = false;
  let struck = Promise.resolve();
  const starts = await startTransfers(apis, transfers, {
    concurrency: 32,
    retryForMs: 60_000,
    onAccepted: (accepted) => {
      if (accepted >= transfers.length / 2 && !blown) {
        blown = true;
        struck = blow();
        struck.catch(() => undefined); // awaited (and rethrown) below
      }
    },
  }).catch((error: unknown) => {
    if (explain && error instanceof Error) error.message += `\n${explain()}`;
    throw error;
  });
  await struck;
  return starts;
}

export interface ChaosRun {
  label: string;
  /** The scenario's name in the chaos report. */
  scenario: string;
  /** How many faults were injected and what they were in a few words, for the report. */
  faults: () => { count: number; detail: string };
  api: Api;
  bank: Bank;
  transfers: readonly Transfer[];
  starts: StartReport;
  initial: Balances;
  settleTimeoutMs: number;
  /** Ends the failure message when a transfer did not settle, e.g. "after the restart". */
  settleWhen: string;
  /** The coordinator's log so far, for failure messages. */
  coordinatorLog: () => string;
  /** What happened to the run, for the summary line after the start counts. */
  describeChaos: () => string;
  /** When "all settled … ms" counts from, for the summary line, e.g. "after the last restart". */
  recoveredSince: string;
  /** Checks right after waiting, before anything is read from the coordinator. */
  afterWaiting?: () => void;
  /** Reads what the report needs (e.g. the participant's fault counts) once everything settled. */
  beforeReport?: () => Promise<void>;
  /** Checks after the summary line, before the verdict. */
  beforeVerdict?: () => void;
}

/**
 * Waits for every transfer to settle, logs a summary line, records the
 * scenario in the chaos report and asserts: every transfer settled, no
 * invariant of the money or of the effect log was broken, one transaction per
 * transfer, both outcomes (COMPLETED, COMPENSATED) happened, and the attempt
 * logs agree.
 */
export async function expectEveryTransferSettledIntact(run: ChaosRun): Promise<void> {
  const { api, bank, transfers, starts, initial, settleTimeoutMs } = run;
  const recoveryStarted = Date.now();
  const ids = [...starts.ids.values()];
  const { statuses, settled } = await waitUntilSettled(api, ids, settleTimeoutMs);
  const recoveryMs = Date.now() - recoveryStarted;
  run.afterWaiting?.();

  const listed = await listTransfers(api);
  const effects = await bank.effects();
  const final = await bank.balances();
  const counts = countByStatus(listed.map((l) => l.status));
  const stuckReasons = await stuckReasonsOf(api, listed);
  await run.beforeReport?.();
  console.log(
    `${run.label}: ${transfers.length} transfers; starts created=${starts.created} replayed=${starts.replayed} resent=${starts.resent}; ` +
      `${run.describeChaos()}; all settled ${recoveryMs} ms ${run.recoveredSince}: ${JSON.stringify(counts)}; ${effects.length} effects`,
  );

  const violations = settled ? [] : [unsettled(run, ids, statuses)];
  violations.push(...findViolations({ transfers, ids: starts.ids, listed, effects, initial, final, stuckReasons }));
  if (listed.length !== transfers.length) violations.push(`${listed.length} transactions listed for ${transfers.length} transfers`);
  violations.push(...(await checkAttemptLogs(api, statuses, ids)));
  recordScenario({
    scenario: run.scenario,
    transactions: transfers.length,
    faults: run.faults().count,
    faultDetail: run.faults().detail,
    convergeMs: recoveryMs,
    violations,
  });
  run.beforeVerdict?.();

  if (!settled) throw new Error(`${violations[0]}\ncoordinator log:\n${logTail(run.coordinatorLog())}`);
  expect(violations).toEqual([]);
  // Both outcomes happened: refusals were rolled back, the rest went through.
  expect(counts.COMPLETED).toBeGreaterThan(0);
  expect(counts.COMPENSATED).toBeGreaterThan(0);
}

function unsettled(run: ChaosRun, ids: readonly string[], statuses: Map<string, string>): string {
  const open = ids.filter((id) => !['COMPLETED', 'COMPENSATED', 'RESOLVED', 'STUCK'].includes(statuses.get(id) ?? ''));
  return (
    `${open.length} transactions did not settle within ${run.settleTimeoutMs} ms ${run.settleWhen}, e.g. ` +
    open.slice(0, 5).map((id) => `${id}=${statuses.get(id)}`).join(', ')
  );
}

/** The `stuckReason` of every STUCK transaction, from its view. */
export async function stuckReasonsOf(api: Api, listed: readonly Listed[]): Promise<Map<string, unknown>> {
  const reasons = new Map<string, unknown>();
  for (const { id } of listed.filter((l) => l.status === 'STUCK')) {
    const res = await api.get<ResponseOf<'getTransaction', 200>>(`/v1/transactions/${id}`);
    reasons.set(id, res.status === 200 ? res.body.stuckReason : null);
  }
  return reasons;
}
