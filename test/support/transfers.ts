/**
 * Shared pieces of the chaos tests: a bank participant process with seeded
 * accounts, a `transfer` saga (debit, then credit), a deterministic plan of
 * transfers, starting them with limited concurrency (riding out a dead or
 * restarting coordinator), waiting for all of them, and checking the money
 * invariants against the bank's append-only effect log.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { request } from 'undici';
import type { ErrorBody, ResponseOf } from '@accord/contracts';
import type { Api } from './coordinator-process';
import { startParticipant, type ParticipantProcess } from './participant-process';
import { createTestDatabase } from './test-env';

export const TRANSFER = 'transfer';

/** Saga outcomes a transfer may end in; anything else is a failure of the test. */
export const EXPECTED_OUTCOMES = ['COMPLETED', 'COMPENSATED'] as const;
/** Statuses after which nothing happens without an operator. */
const SETTLED = new Set(['COMPLETED', 'COMPENSATED', 'RESOLVED', 'STUCK']);

/** One row of the bank's append-only effect log (GET /_effects). */
export interface Effect {
  id: number;
  transactionId: string;
  step: string;
  phase: string;
  account: string;
  delta: number;
  /** Changes of the TCC reservations; 0 for saga calls. */
  frozenDelta: number;
  pendingDelta: number;
}

/** The bank's accounts (GET /_accounts), all from one snapshot. */
export interface Balances {
  /** id → balance */
  accounts: Record<string, number>;
  /** Sum of the balances. */
  total: number;
  /** Sums of the frozen and pending amounts (TCC reservations). */
  frozen: number;
  pending: number;
  details: Record<string, { balance: number; frozen: number; pending: number }>;
}

export interface Bank {
  url: string;
  databaseUrl: string;
  participant: ParticipantProcess;
  seed(accounts: Record<string, number>): Promise<void>;
  balances(): Promise<Balances>;
  effects(): Promise<Effect[]>;
  /** Faults the bank injected, by kind (GET /_faults). */
  faults(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

/** A bank participant process on its own database; `env` adds to (or overrides) its environment. */
export interface BankFaults {
  failRate: number;
  delayMs: number;
  env?: Record<string, string>;
}

export async function startBank(label: string, options: BankFaults): Promise<Bank> {
  const databaseUrl = await createTestDatabase(`${label}_bank`);
  const participant = await startParticipant('bank', {
    DATABASE_URL: databaseUrl,
    BANK_FAIL_RATE: String(options.failRate),
    BANK_DELAY_MS: String(options.delayMs),
    ...options.env,
  });
  const url = participant.url;
  return {
    url,
    databaseUrl,
    participant,
    async seed(accounts) {
      const res = await request(`${url}/_seed`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accounts }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 204) throw new Error(`bank /_seed answered ${res.statusCode}: ${text}`);
    },
    balances: () => getJson<Balances>(`${url}/_accounts`),
    effects: () => getJson<Effect[]>(`${url}/_effects`),
    faults: () => getJson<Record<string, number>>(`${url}/_faults`),
    stop: () => participant.stop(),
  };
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}

/** debit(from) then credit(to); each compensated by its undo. Small retry
 * delays so the injected transient failures are retried quickly. */
export function transferDefinition(bankUrl: string, callTimeoutMs = 3000): Record<string, unknown> {
  return {
    name: TRANSFER,
    type: 'saga',
    retry: { maxAttempts: 8, initialDelayMs: 20, maxDelayMs: 200, multiplier: 2, jitter: true },
    steps: [
      {
        name: 'debit',
        input: { account: '{{input.from}}', amount: '{{input.amount}}' },
        action: { url: `${bankUrl}/debit`, timeoutMs: callTimeoutMs },
        compensation: { url: `${bankUrl}/debit/undo`, timeoutMs: callTimeoutMs },
      },
      {
        name: 'credit',
        input: { account: '{{input.to}}', amount: '{{input.amount}}' },
        action: { url: `${bankUrl}/credit`, timeoutMs: callTimeoutMs },
        compensation: { url: `${bankUrl}/credit/undo`, timeoutMs: callTimeoutMs },
      },
    ],
  };
}

export async function registerTransfer(api: Api, bankUrl: string, callTimeoutMs?: number): Promise<void> {
  const res = await api.post('/v1/definitions', transferDefinition(bankUrl, callTimeoutMs));
  if (res.status !== 201 && res.status !== 200) {
    throw new Error(`registering ${TRANSFER} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

export interface Transfer {
  key: string;
  from: string;
  to: string;
  amount: number;
  /** More than all the money there is: the debit must be refused. */
  hopeless: boolean;
}

export interface TransferPlanOptions {
  count: number;
  accounts: string[];
  /** Every account starts with this much. */
  balance: number;
  /** Share of transfers that ask for more than exists (refused → COMPENSATED). */
  hopelessShare: number;
  /** Ordinary amounts are 1..maxAmount. */
  maxAmount: number;
  seed: number;
  keyPrefix: string;
}

/** Deterministic (seeded) random transfers between distinct accounts. */
export function planTransfers(o: TransferPlanOptions): Transfer[] {
  const random = mulberry32(o.seed);
  const pick = (n: number) => Math.floor(random() * n);
  const total = o.balance * o.accounts.length;
  const transfers: Transfer[] = [];
  for (let i = 0; i < o.count; i++) {
    const from = o.accounts[pick(o.accounts.length)];
    let to = o.accounts[pick(o.accounts.length - 1)];
    if (to === from) to = o.accounts[o.accounts.length - 1];
    const hopeless = random() < o.hopelessShare;
    const amount = hopeless ? total * 10 : 1 + pick(o.maxAmount);
    transfers.push({ key: `${o.keyPrefix}-${i}`, from, to, amount, hopeless });
  }
  return transfers;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface StartReport {
  /** idempotency key → transaction id */
  ids: Map<string, string>;
  /** Starts answered 201. */
  created: number;
  /** Starts answered 200: the key matched an earlier start whose answer we lost. */
  replayed: number;
  /** Requests that failed (connection refused/reset, 5xx) and were sent again. */
  resent: number;
}

/**
 * Starts every transfer (each with its idempotency key), `concurrency` at a
 * time. A start that fails because the coordinator is down or restarting is
 * sent again with the same key until `retryForMs` has passed, so a crash in
 * the middle of the starts must neither lose nor duplicate a transaction.
 * Given several replicas, the starts take turns between them and a failed one
 * is sent again to the next.
 */
export async function startTransfers(
  apis: Api | readonly Api[],
  transfers: readonly Transfer[],
  options: { concurrency: number; retryForMs: number; onAccepted?: (accepted: number) => void },
): Promise<StartReport> {
  const replicas: readonly Api[] = Array.isArray(apis) ? apis : [apis as Api];
  const report: StartReport = { ids: new Map(), created: 0, replayed: 0, resent: 0 };
  let next = 0;
  const startOne = async (t: Transfer, turn: number): Promise<void> => {
    const first = Date.now();
    const deadline = first + options.retryForMs;
    // Each failed try, with when it was sent and how long it took: a rare
    // failure in CI must say whether the coordinator refused fast or hung.
    const tried: string[] = [];
    for (let tries = 0; ; tries++) {
      const api = replicas[(turn + tries) % replicas.length];
      const sent = Date.now();
      let failure: string;
      try {
        const res = await api.post<ResponseOf<'startTransaction', 201> | ErrorBody>('/v1/transactions', {
          definition: TRANSFER,
          input: { from: t.from, to: t.to, amount: t.amount },
          idempotencyKey: t.key,
        });
        if ((res.status === 201 || res.status === 200) && 'id' in res.body) {
          report.ids.set(t.key, res.body.id);
          if (res.status === 201) report.created++;
          else report.replayed++;
          options.onAccepted?.(report.ids.size);
          return;
        }
        if (res.status < 500) throw new Error(`start ${t.key} answered ${res.status}: ${JSON.stringify(res.body)}`);
        failure = `HTTP ${res.status}: ${JSON.stringify(res.body)}`;
      } catch (error) {
        if (error instanceof Error && error.message.startsWith(`start ${t.key} answered`)) throw error;
        failure = String(error);
      }
      tried.push(`+${sent - first} ms (${Date.now() - sent} ms): ${failure.slice(0, 300)}`);
      if (Date.now() > deadline) {
        const shown = tried.length > 12 ? [...tried.slice(0, 4), `… ${tried.length - 8} more …`, ...tried.slice(-4)] : tried;
        throw new Error(`start ${t.key} kept failing for ${options.retryForMs} ms; its tries:\n  ${shown.join('\n  ')}`);
      }
      report.resent++;
      await sleep(200);
    }
  };
  const lane = async (): Promise<void> => {
    while (next < transfers.length) {
      const turn = next++;
      await startOne(transfers[turn], turn);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, transfers.length) }, lane));
  return report;
}

export interface Listed {
  id: string;
  status: string;
}

/** Every transaction of the transfer definition, through the paged list API. */
export function listTransfers(api: Api): Promise<Listed[]> {
  return listTransactions(api, TRANSFER);
}

/** Every transaction of `definition`, through the paged list API. */
export async function listTransactions(api: Api, definition: string): Promise<Listed[]> {
  const items: Listed[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `/v1/transactions?definition=${definition}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await api.get<ResponseOf<'listTransactions', 200>>(query);
    if (res.status !== 200) throw new Error(`GET ${query} answered ${res.status}: ${JSON.stringify(res.body)}`);
    for (const item of res.body.items) items.push({ id: item.id, status: item.status });
    cursor = res.body.nextCursor;
  } while (cursor);
  return items;
}

export function countByStatus(statuses: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

/**
 * Polls the list API until every id is COMPLETED, COMPENSATED, RESOLVED or
 * STUCK, or `timeoutMs` passed. Answers the last statuses seen (the caller
 * asserts on them), so a transaction that never settles shows up by id.
 */
export async function waitUntilSettled(
  api: Api,
  ids: Iterable<string>,
  timeoutMs: number,
): Promise<{ statuses: Map<string, string>; settled: boolean; elapsedMs: number }> {
  const wanted = [...ids];
  const started = Date.now();
  let statuses = new Map<string, string>();
  for (;;) {
    try {
      statuses = new Map((await listTransfers(api)).map((t) => [t.id, t.status]));
    } catch {
      // the coordinator may still be coming up; keep polling until the deadline
    }
    const settled = wanted.every((id) => SETTLED.has(statuses.get(id) ?? ''));
    if (settled || Date.now() - started > timeoutMs) return { statuses, settled, elapsedMs: Date.now() - started };
    await sleep(500);
  }
}

export interface InvariantInput {
  transfers: readonly Transfer[];
  /** idempotency key → transaction id, from the starts */
  ids: Map<string, string>;
  /** every transfer transaction the coordinator lists, with its status */
  listed: readonly Listed[];
  effects: readonly Effect[];
  initial: Balances;
  final: Balances;
  /** id → `stuckReason` of the transaction view, for every STUCK transaction. */
  stuckReasons?: ReadonlyMap<string, unknown>;
}

/**
 * Every way the run could have gone wrong, as readable lines; [] when none.
 * Checks: one transaction per transfer (no loss, no duplicate), each COMPLETED,
 * COMPENSATED or STUCK with a reason, at most one effect per (transaction,
 * step, phase), a COMPLETED transfer moved its amount exactly once, a
 * COMPENSATED one nets to zero on every account, refused-for-sure transfers
 * never completed, no balance below zero, and the final balances are the
 * initial ones plus exactly the completed transfers (and what STUCK ones hold).
 */
export function findViolations(input: InvariantInput): string[] {
  const problems: string[] = [];
  const listedStatus = new Map(input.listed.map((l) => [l.id, l.status]));
  const known = new Set<string>();

  if (input.listed.length !== listedStatus.size) problems.push(`the list API answered duplicate ids`);
  for (const t of input.transfers) {
    const id = input.ids.get(t.key);
    if (!id) {
      problems.push(`transfer ${t.key} has no transaction id`);
      continue;
    }
    if (known.has(id)) problems.push(`transaction ${id} was answered for two different keys`);
    known.add(id);
  }
  for (const l of input.listed) {
    if (!known.has(l.id)) problems.push(`transaction ${l.id} (${l.status}) was not started by any transfer (duplicate start?)`);
  }

  const byTx = new Map<string, Effect[]>();
  for (const e of input.effects) {
    if (!known.has(e.transactionId)) problems.push(`effect ${e.id} belongs to unknown transaction ${e.transactionId}`);
    const list = byTx.get(e.transactionId) ?? [];
    list.push(e);
    byTx.set(e.transactionId, list);
  }
  const perCall = new Map<string, number>();
  for (const e of input.effects) {
    const k = `${e.transactionId} ${e.step}/${e.phase}`;
    perCall.set(k, (perCall.get(k) ?? 0) + 1);
  }
  for (const [k, n] of perCall) if (n > 1) problems.push(`effect applied ${n} times: ${k}`);

  const expected: Record<string, number> = { ...input.initial.accounts };
  let stuckNet = 0;
  const describe = (effects: Effect[]) =>
    effects.map((e) => `${e.step}/${e.phase} ${e.account} ${e.delta > 0 ? '+' : ''}${e.delta}`).join(', ') || 'none';
  for (const t of input.transfers) {
    const id = input.ids.get(t.key);
    if (!id) continue;
    const status = listedStatus.get(id);
    const effects = byTx.get(id) ?? [];
    const where = `${t.key} (${id}, ${t.from}→${t.to} ${t.amount})`;
    if (status === undefined) {
      problems.push(`${where} is missing from the coordinator's list (lost transaction)`);
      continue;
    }
    if (status === 'STUCK') {
      // Waiting for an operator is an honest end, if it says why; its effects
      // stay where they are (each at most once, checked above).
      const reason = input.stuckReasons?.get(id);
      if (reason === undefined || reason === null) problems.push(`${where} is STUCK without a stuckReason; effects: ${describe(effects)}`);
      for (const e of effects) {
        expected[e.account] += e.delta;
        stuckNet += e.delta;
      }
      continue;
    }
    if (!(EXPECTED_OUTCOMES as readonly string[]).includes(status)) {
      problems.push(`${where} ended ${status}, not COMPLETED/COMPENSATED/STUCK; effects: ${describe(effects)}`);
      continue;
    }
    if (status === 'COMPLETED') {
      if (t.hopeless) problems.push(`${where} COMPLETED although the debit exceeds all the money there is`);
      const shape = effects.map((e) => `${e.step}/${e.phase}/${e.account}/${e.delta}`).sort();
      const want = [`credit/action/${t.to}/${t.amount}`, `debit/action/${t.from}/${-t.amount}`].sort();
      if (JSON.stringify(shape) !== JSON.stringify(want)) {
        problems.push(`${where} COMPLETED with effects [${describe(effects)}], want exactly one debit and one credit`);
      }
      expected[t.from] -= t.amount;
      expected[t.to] += t.amount;
    } else {
      const net: Record<string, number> = {};
      for (const e of effects) net[e.account] = (net[e.account] ?? 0) + e.delta;
      if (Object.values(net).some((d) => d !== 0)) {
        problems.push(`${where} COMPENSATED but its effects do not net to zero: [${describe(effects)}]`);
      }
      if (t.hopeless && effects.length > 0) problems.push(`${where} was refused, yet has effects [${describe(effects)}]`);
    }
  }

  if (input.final.total !== input.initial.total + stuckNet) {
    problems.push(`bank total changed: ${input.initial.total} → ${input.final.total} (${stuckNet} held by STUCK transfers)`);
  }
  for (const [account, balance] of Object.entries(input.final.accounts)) {
    if (balance < 0) problems.push(`account ${account} is overdrawn: ${balance}`);
  }
  for (const account of new Set([...Object.keys(expected), ...Object.keys(input.final.accounts)])) {
    if (input.final.accounts[account] !== expected[account]) {
      problems.push(`account ${account}: balance ${input.final.accounts[account]}, want ${expected[account]} (initial + completed transfers)`);
    }
  }
  return problems;
}

/**
 * The attempt log of each transaction, checked for the calls that moved it: a
 * COMPLETED transfer has an applied `ok` action for both steps; a COMPENSATED
 * one has at least one applied attempt. Returns violations as readable lines.
 */
export async function checkAttemptLogs(api: Api, statuses: Map<string, string>, ids: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++];
      const res = await api.get<ResponseOf<'listAttempts', 200>>(`/v1/transactions/${id}/attempts`);
      if (res.status !== 200) {
        problems.push(`attempts of ${id} answered ${res.status}`);
        continue;
      }
      const items = res.body.items;
      if (items.length === 0) {
        problems.push(`attempt log of ${id} (${statuses.get(id)}) is empty`);
        continue;
      }
      if (statuses.get(id) === 'COMPLETED') {
        for (const step of ['debit', 'credit']) {
          if (!items.some((a) => a.step === step && a.phase === 'action' && a.outcome === 'ok' && a.applied)) {
            problems.push(`attempt log of COMPLETED ${id} has no applied ok ${step}/action: ${JSON.stringify(items)}`);
          }
        }
      } else if (!items.some((a) => a.applied)) {
        problems.push(`attempt log of ${statuses.get(id)} ${id} has no applied attempt: ${JSON.stringify(items)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return problems;
}

/** The last `lines` lines of a process log, each cut to `width`, for failure messages. */
export function logTail(log: string, lines = 30, width = 400): string {
  return log
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-lines)
    .map((l) => (l.length > width ? `${l.slice(0, width)}…` : l))
    .join('\n');
}

/** Status counts straight from a coordinator's database: works while the
 * coordinator is dead (what was in flight at the moment of a kill). */
export async function statusCountsInDatabase(databaseUrl: string): Promise<Record<string, number>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM transactions GROUP BY status ORDER BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  } finally {
    await client.end();
  }
}

/** How many of `counts` are still moving (not COMPLETED/COMPENSATED/RESOLVED/STUCK). */
export function inFlight(counts: Record<string, number>): number {
  return Object.entries(counts).reduce((n, [status, c]) => (SETTLED.has(status) ? n : n + c), 0);
}
