/**
 * Chaos, TCC: many concurrent transfers (try/confirm/cancel on the bank's
 * frozen and pending amounts, all behind the SDK barrier) through the real
 * coordinator, with a chaos proxy between coordinator and bank that
 *  - delivers some calls twice, at once or a little later (the late copy of
 *    a try may now land after its cancel),
 *  - holds back some tries of transactions with a short deadline until their
 *    cancel has been answered, so the cancel overtakes the try (null cancel)
 *    and the late try must be refused as hanging,
 * plus transfers that cannot be paid (insufficient funds), injected transient
 * failures in the bank, and signed calls (duplicates are replays inside the
 * signature tolerance, which only the barrier can absorb).
 *
 * Afterwards: every transaction CONFIRMED or CANCELLED, the bank's money
 * unchanged, nothing left frozen or pending, every (transaction, step, phase)
 * applied at most once, a CONFIRMED transfer moved its amount exactly once, a
 * CANCELLED one nets to zero.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { accountIds } from '../support/chaos.spec-kit';
import {
  countByStatus,
  listTransactions,
  logTail,
  planTransfers,
  startBank,
  type Balances,
  type Bank,
  type Effect,
  type Transfer,
} from '../support/transfers';

const TRANSFERS = 150;
const ACCOUNTS = accountIds(12);
const BALANCE = 1_000;
const SECRET = 'tcc-chaos-signing-secret-0123';
/** Share of transfers on the short-deadline definition whose tries may be held back. */
const HELD_DEFINITION_SHARE = 0.3;
/** Chance that a try of such a transfer is held until its cancel is answered. */
const HOLD_SHARE = 0.6;
const DUPLICATE_NOW_SHARE = 0.15;
const DUPLICATE_LATER_SHARE = 0.15;
const HOLD_CAP_MS = 20_000;
const SETTLE_TIMEOUT_MS = 75_000;

const NORMAL = 'tcc-transfer';
const SHORT = 'tcc-transfer-short';

let bank: Bank | undefined;
let coordinator: CoordinatorProcess | undefined;
let proxy: ChaosProxy | undefined;

afterAll(async () => {
  await coordinator?.kill('SIGKILL').catch(() => undefined);
  await proxy?.close().catch(() => undefined);
  await bank?.stop().catch(() => undefined);
});

it(
  'settles concurrent TCC transfers with duplicate deliveries and cancels overtaking their tries, with the money intact',
  async () => {
    const started = Date.now();
    bank = await startBank('tcc_chaos', { failRate: 0.05, delayMs: 20, env: { BANK_SIGNING_SECRET: SECRET } });
    await bank.seed(Object.fromEntries(ACCOUNTS.map((a) => [a, BALANCE])));
    const initial = await bank.balances();

    proxy = await startChaosProxy(bank.url);
    // Held tries keep a worker slot for their whole call timeout: enough slots
    // that they do not starve everything else (and their retries run before the deadline).
    coordinator = await startCoordinator({ label: 'tcc_chaos', env: { SIGNING_SECRET: SECRET, WORKER_CONCURRENCY: '256' } });
    const api = new Api(coordinator.url);
    for (const definition of [tccTransfer(NORMAL, proxy.url, null, 1_000), tccTransfer(SHORT, `${proxy.url}/hold`, 2_500, 600)]) {
      const res = await api.post('/v1/definitions', definition);
      if (res.status !== 201 && res.status !== 200) throw new Error(`registering ${definition.name}: ${res.status} ${JSON.stringify(res.body)}`);
    }

    const transfers = planTransfers({
      count: TRANSFERS,
      accounts: ACCOUNTS,
      balance: BALANCE,
      hopelessShare: 0.1,
      maxAmount: 200,
      seed: 20240917,
      keyPrefix: `tcc-chaos-${Date.now().toString(36)}`,
    });
    // Deterministic choice of definition per transfer, from its position.
    const definitionOf = (i: number) => ((i * 7919) % 100 < HELD_DEFINITION_SHARE * 100 ? SHORT : NORMAL);

    const ids = new Map<string, string>();
    const byId = new Map<string, Transfer & { definition: string }>();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < transfers.length) {
        const i = next++;
        const t = transfers[i];
        const definition = definitionOf(i);
        const res = await api.post('/v1/transactions', {
          definition,
          input: { from: t.from, to: t.to, amount: t.amount },
          idempotencyKey: t.key,
        });
        if (res.status !== 201) throw new Error(`start ${t.key}: ${res.status} ${JSON.stringify(res.body)}`);
        ids.set(t.key, res.body.id);
        byId.set(res.body.id, { ...t, definition });
      }
    };
    await Promise.all(Array.from({ length: 32 }, lane));
    const startedAll = Date.now();

    // Wait for every transaction to reach CONFIRMED/CANCELLED (or get stuck).
    let statuses = new Map<string, string>();
    for (;;) {
      statuses = new Map([...(await listAll(api, NORMAL)), ...(await listAll(api, SHORT))]);
      const open = [...byId.keys()].filter((id) => !['CONFIRMED', 'CANCELLED', 'RESOLVED', 'STUCK'].includes(statuses.get(id) ?? ''));
      if (open.length === 0) break;
      if (Date.now() - startedAll > SETTLE_TIMEOUT_MS) {
        throw new Error(
          `${open.length} transactions did not settle within ${SETTLE_TIMEOUT_MS} ms, e.g. ` +
            `${open.slice(0, 5).map((id) => `${id}=${statuses.get(id)}`).join(', ')}\ncoordinator log:\n${logTail(coordinator.logs())}`,
        );
      }
      await sleep(250);
    }
    const settledMs = Date.now() - startedAll;
    // Late duplicates still on their way, and held tries released after the last cancels.
    await proxy.drain();

    const final = await bank.balances();
    const effects = await bank.effects();
    const counts = countByStatus(statuses.values());
    const stats = proxy.stats;
    console.log(
      `tcc-bank chaos: ${TRANSFERS} transfers settled ${settledMs} ms after the starts (${Date.now() - started} ms in all): ` +
        `${JSON.stringify(counts)}; proxy: ${stats.requests} calls, ${stats.duplicatedNow} duplicated at once, ` +
        `${stats.duplicatedLater} duplicated later, ${stats.heldKeys} tries held (${stats.heldCalls} calls) until their cancel ` +
        `(${stats.releasedOnCap} released on the cap; released: ${JSON.stringify(countByStatus(stats.heldAnswers.map((a) => a.verdict)))}), ` +
        `barrier answers ${JSON.stringify(stats.barrierKinds)}, ${stats.mismatches.length} duplicate pairs answered differently ` +
        `(${stats.reorderedBodies} equal but with keys reordered); ` +
        `${effects.length} effects; bank total ${initial.total} → ${final.total}, frozen ${final.frozen}, pending ${final.pending}`,
    );

    const problems = findTccViolations({ byId, ids, transfers, statuses, effects, initial, final });
    problems.push(...stats.mismatches.map((m) => `duplicate deliveries answered differently: ${m}`));
    problems.push(
      ...stats.heldAnswers.filter((a) => a.verdict === 'applied').map((a) => `a try released after its cancel was not refused as hanging: ${a.describe}`),
    );
    expect(problems).toEqual([]);

    // The chaos actually happened, and both outcomes occurred.
    expect(stats.duplicatedNow + stats.duplicatedLater).toBeGreaterThan(20);
    expect(stats.heldKeys).toBeGreaterThan(5);
    expect(stats.releasedOnCap).toBe(0);
    expect(stats.heldAnswers.filter((a) => a.verdict === 'hanging').length).toBeGreaterThan(5);
    expect(stats.barrierKinds['hanging'] ?? 0).toBeGreaterThan(0);
    expect(stats.barrierKinds['null-compensation'] ?? 0).toBeGreaterThan(0);
    expect(stats.barrierKinds['duplicate'] ?? 0).toBeGreaterThan(0);
    expect(counts.CONFIRMED).toBeGreaterThan(TRANSFERS / 4);
    expect(counts.CANCELLED).toBeGreaterThan(0);
  },
  150_000,
);

/** debit and credit branches in parallel, on the bank's TCC routes behind `base`.
 * The short definition's tries time out well before its deadline, so a held
 * try is retried (and held again) before the deadline cancels it. */
function tccTransfer(name: string, base: string, timeoutMs: number | null, tryTimeoutMs: number) {
  const branch = (step: 'debit' | 'credit', account: string) => ({
    name: step,
    dependsOn: [],
    input: { account, amount: '{{input.amount}}' },
    try: { url: `${base}/tcc/${step}/try`, timeoutMs: tryTimeoutMs },
    confirm: { url: `${base}/tcc/${step}/confirm`, timeoutMs: 3_000 },
    cancel: { url: `${base}/tcc/${step}/cancel`, timeoutMs: 3_000 },
  });
  return {
    name,
    type: 'tcc',
    ...(timeoutMs === null ? {} : { timeoutMs }),
    retry: { maxAttempts: 10, initialDelayMs: 20, maxDelayMs: 300, multiplier: 2, jitter: true },
    steps: [branch('debit', '{{input.from}}'), branch('credit', '{{input.to}}')],
  };
}

interface ViolationInput {
  byId: Map<string, Transfer & { definition: string }>;
  ids: Map<string, string>;
  transfers: readonly Transfer[];
  statuses: Map<string, string>;
  effects: readonly Effect[];
  initial: Balances;
  final: Balances;
}

function findTccViolations(input: ViolationInput): string[] {
  const problems: string[] = [];
  if (input.ids.size !== input.transfers.length) problems.push(`${input.ids.size} transactions for ${input.transfers.length} transfers`);

  const perCall = new Map<string, number>();
  const byTx = new Map<string, Effect[]>();
  for (const e of input.effects) {
    const k = `${e.transactionId} ${e.step}/${e.phase}`;
    perCall.set(k, (perCall.get(k) ?? 0) + 1);
    if (!input.byId.has(e.transactionId)) problems.push(`effect ${e.id} of unknown transaction ${e.transactionId}`);
    byTx.set(e.transactionId, [...(byTx.get(e.transactionId) ?? []), e]);
  }
  for (const [k, n] of perCall) if (n > 1) problems.push(`effect applied ${n} times: ${k}`);

  const expected: Record<string, number> = { ...input.initial.accounts };
  const show = (effects: Effect[]) =>
    effects.map((e) => `${e.step}/${e.phase} ${e.account} ${e.delta}/${e.frozenDelta}/${e.pendingDelta}`).join(', ') || 'none';
  for (const [id, t] of input.byId) {
    const status = input.statuses.get(id);
    const effects = byTx.get(id) ?? [];
    const where = `${t.key} (${id}, ${t.definition}, ${t.from}→${t.to} ${t.amount})`;
    if (status === 'CONFIRMED') {
      if (t.hopeless) problems.push(`${where} CONFIRMED although the debit exceeds all the money there is`);
      const shape = effects.map((e) => `${e.step}/${e.phase} ${e.account} ${e.delta}/${e.frozenDelta}/${e.pendingDelta}`).sort();
      const want = [
        `debit/try ${t.from} ${-t.amount}/${t.amount}/0`,
        `debit/confirm ${t.from} 0/${-t.amount}/0`,
        `credit/try ${t.to} 0/0/${t.amount}`,
        `credit/confirm ${t.to} ${t.amount}/0/${-t.amount}`,
      ].sort();
      if (JSON.stringify(shape) !== JSON.stringify(want)) problems.push(`${where} CONFIRMED with effects [${show(effects)}]`);
      expected[t.from] -= t.amount;
      expected[t.to] += t.amount;
    } else if (status === 'CANCELLED') {
      if (effects.some((e) => e.phase === 'confirm')) problems.push(`${where} CANCELLED but confirmed a branch: [${show(effects)}]`);
      const net = new Map<string, number>();
      for (const e of effects) {
        for (const [column, d] of [['balance', e.delta], ['frozen', e.frozenDelta], ['pending', e.pendingDelta]] as const) {
          net.set(`${e.account}.${column}`, (net.get(`${e.account}.${column}`) ?? 0) + d);
        }
      }
      if ([...net.values()].some((d) => d !== 0)) problems.push(`${where} CANCELLED but does not net to zero: [${show(effects)}]`);
      if (t.hopeless && effects.some((e) => e.step === 'debit')) problems.push(`${where} debit was refused, yet has effects [${show(effects)}]`);
    } else {
      problems.push(`${where} ended ${status}, not CONFIRMED/CANCELLED; effects [${show(effects)}]`);
    }
  }

  if (input.final.total !== input.initial.total) problems.push(`bank total changed: ${input.initial.total} → ${input.final.total}`);
  if (input.final.frozen !== 0) problems.push(`${input.final.frozen} still frozen`);
  if (input.final.pending !== 0) problems.push(`${input.final.pending} still pending`);
  for (const [account, d] of Object.entries(input.final.details)) {
    if (d.balance !== expected[account]) problems.push(`account ${account}: balance ${d.balance}, want ${expected[account]} (initial + confirmed)`);
    if (d.frozen !== 0 || d.pending !== 0) problems.push(`account ${account}: frozen ${d.frozen}, pending ${d.pending}`);
  }
  return problems;
}

interface ProxyStats {
  requests: number;
  duplicatedNow: number;
  duplicatedLater: number;
  /** (transaction, step) whose tries were held until the cancel was answered. */
  heldKeys: number;
  heldCalls: number;
  releasedOnCap: number;
  /** What the barrier did (`x-accord-barrier`), over every delivery. */
  barrierKinds: Record<string, number>;
  /** Duplicate deliveries whose (non-5xx) answers differed. */
  mismatches: string[];
  /** Answers of held tries released after their cancel. */
  heldAnswers: Array<{ verdict: 'hanging' | 'applied' | 'unknown'; describe: string }>;
  /** Duplicate answers equal as JSON but not byte for byte (key order). */
  reorderedBodies: number;
}

interface ChaosProxy {
  url: string;
  stats: ProxyStats;
  /** Resolves once every late duplicate and held try has been delivered. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

interface Delivery {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * Forwards every call to the bank, unchanged (signature included). Paths
 * under `/hold/` belong to the short-deadline definition: a try there may be
 * held back (every call of that try, retries included) until the bank has
 * answered the cancel of the same (transaction, step).
 */
async function startChaosProxy(target: string): Promise<ChaosProxy> {
  const agent = new Agent({ connections: 256, keepAliveTimeout: 10_000 });
  const stats: ProxyStats = {
    requests: 0,
    duplicatedNow: 0,
    duplicatedLater: 0,
    heldKeys: 0,
    heldCalls: 0,
    releasedOnCap: 0,
    barrierKinds: {},
    mismatches: [],
    heldAnswers: [],
    reorderedBodies: 0,
  };
  const held = new Set<string>();
  const triedOnce = new Set<string>();
  const cancelled = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => undefined);
    return p;
  };
  const cancelOf = (key: string) => {
    let entry = cancelled.get(key);
    if (!entry) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      entry = { promise, resolve };
      cancelled.set(key, entry);
    }
    return entry;
  };

  const deliver = async (path: string, headers: Record<string, string>, body: string): Promise<Delivery> => {
    const res = await request(`${target}${path}`, { method: 'POST', headers, body, dispatcher: agent });
    const text = await res.body.text();
    const kind = res.headers['x-accord-barrier'];
    if (typeof kind === 'string') stats.barrierKinds[kind] = (stats.barrierKinds[kind] ?? 0) + 1;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && !['connection', 'keep-alive', 'transfer-encoding'].includes(k)) out[k] = v;
    return { status: res.statusCode, body: text, headers: out };
  };
  // A 5xx is no answer (the bank's injected failures): only two real answers must agree.
  const compare = (what: string, a: Delivery, b: Delivery) => {
    if (a.status >= 500 || b.status >= 500) return;
    if (a.status !== b.status || canonical(a.body) !== canonical(b.body)) {
      stats.mismatches.push(`${what}: ${a.status} ${a.body} vs ${b.status} ${b.body}`);
    } else if (a.body !== b.body) {
      stats.reorderedBodies++;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    stats.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === 'string' && (k === 'content-type' || k === 'idempotency-key' || k === 'traceparent' || k.startsWith('x-accord-'))) headers[k] = v;
    }
    const holdable = req.url!.startsWith('/hold/');
    const path = holdable ? req.url!.slice('/hold'.length) : req.url!;
    const call = JSON.parse(body) as { transactionId: string; step: string; phase: string };
    const key = `${call.transactionId}/${call.step}`;
    const what = `${key}/${call.phase}`;

    let answer: Delivery;
    // Decided at the first try of a (transaction, step), and then kept for its
    // retries: a held try never reaches the bank before its cancel.
    if (call.phase === 'try' && holdable && !triedOnce.has(key)) {
      triedOnce.add(key);
      if (Math.random() < HOLD_SHARE) {
        held.add(key);
        stats.heldKeys++;
      }
    }
    if (call.phase === 'try' && held.has(key)) {
      stats.heldCalls++;
      answer = await track(
        (async () => {
          const cap = sleep(HOLD_CAP_MS, true, { ref: false });
          const capped = await Promise.race([cancelOf(key).promise.then(() => false), cap]);
          if (capped) stats.releasedOnCap++;
          const late = await deliver(path, headers, body);
          // A 5xx is the bank's injected failure hiding the barrier's answer: inconclusive.
          const verdict = late.status >= 500 ? 'unknown' : late.status === 409 && late.body.includes('HANGING_CALL') ? 'hanging' : 'applied';
          if (!capped) stats.heldAnswers.push({ verdict, describe: `${what} ${late.status} ${late.body}` });
          return late;
        })(),
      );
    } else {
      const roll = Math.random();
      if (roll < DUPLICATE_NOW_SHARE) {
        stats.duplicatedNow++;
        const [a, b] = await Promise.all([deliver(path, headers, body), deliver(path, headers, body)]);
        compare(`${what} (at once)`, a, b);
        answer = a;
      } else {
        answer = await deliver(path, headers, body);
        if (roll < DUPLICATE_NOW_SHARE + DUPLICATE_LATER_SHARE) {
          stats.duplicatedLater++;
          const first = answer;
          void track(
            sleep(50 + Math.random() * 500)
              .then(() => deliver(path, headers, body))
              .then((again) => compare(`${what} (later)`, first, again)),
          );
        }
      }
      if (call.phase === 'cancel' && answer.status >= 200 && answer.status < 300) cancelOf(key).resolve();
    }
    // The coordinator may have given up on a held call long ago.
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'PROXY', message: String(error) } }));
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    async drain() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
    },
  };
}

async function listAll(api: Api, definition: string): Promise<Map<string, string>> {
  return new Map((await listTransactions(api, definition)).map((t) => [t.id, t.status]));
}

/** JSON text with object keys sorted; the text itself when it is not JSON. */
function canonical(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), (_key, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
    );
  } catch {
    return text;
  }
}
