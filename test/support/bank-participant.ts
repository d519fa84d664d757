/**
 * A bank on the participant SDK, for end-to-end and chaos tests: accounts in
 * its own Postgres, every business change behind the barrier, and an
 * append-only `effects` table with no uniqueness, so a test can prove that no
 * effect was applied twice.
 *
 *   PORT=0 DATABASE_URL=postgres://… node dist-test/support/bank-participant.js  → "LISTENING <port>"
 *
 * BANK_FAIL_RATE (0..1, default 0): share of calls that fail transiently —
 * half inside the local transaction after the business writes (rolled back,
 * 503), half after the barrier committed (503 anyway: the answer is "lost",
 * the retry gets the duplicate). BANK_DELAY_MS (default 0): random delay up
 * to this before each call. BANK_LATE_RATE and BANK_HANG_RATE (0..1, default
 * 0): shares of calls that wait BANK_LATE_MS (default 2000) — a late one after
 * the barrier committed (the answer comes after the coordinator gave up), a
 * hung one before it is served (it times out, then applies while the retry is
 * on its way). GET /_faults → how many of each fault were injected.
 *
 * BANK_SIGNING_SECRET (default unset): when set, every participant call must
 * carry a valid `X-Accord-Signature` made with it (checked on the raw body
 * before anything else); otherwise 401 and nothing happens.
 *
 * Participant routes (ParticipantCall, input `{account, amount}`):
 * - saga: POST /debit, /debit/undo, /credit, /credit/undo; the same under the
 *   conventional names /debit/action, /debit/compensation, /credit/action,
 *   /credit/compensation (so `<bank>/debit` is a base URL for the conformance kit);
 * - TCC: POST /tcc/debit/try (moves `amount` from balance to frozen; 409
 *   INSUFFICIENT_FUNDS when it is not there), /tcc/debit/confirm (drops the
 *   frozen amount), /tcc/debit/cancel (unfreezes it), /tcc/credit/try (records
 *   a pending incoming amount), /tcc/credit/confirm (pending → balance),
 *   /tcc/credit/cancel (drops the pending amount).
 * Every applied change appends one `effects` row: `delta` (balance),
 * `frozenDelta`, `pendingDelta`.
 * Control: POST /_seed `{"accounts": {"a": 1000}}` (resets everything),
 * GET /_accounts → `{accounts, total, frozen, pending, details}` (`accounts`
 * and `total` are balances; frozen and pending are summed separately),
 * GET /_effects → effect rows, GET /_faults → injected faults by kind.
 * Several processes may run against one database (kill/restart tests).
 */
import { errorBody } from '@accord/contracts';
import {
  answerParticipantCall,
  Barrier,
  BARRIER_RESULT_HEADER,
  BusinessRefusal,
  TransientFailure,
  readRequestBody,
  sendJson,
  type ParticipantContext,
  type ParticipantRoute,
} from '@accord/participant';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { z } from 'zod';
import type { Balances } from './transfers';

const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(0),
    DATABASE_URL: z.string().min(1),
    BANK_FAIL_RATE: z.coerce.number().min(0).max(1).default(0),
    BANK_DELAY_MS: z.coerce.number().int().min(0).default(0),
    BANK_LATE_RATE: z.coerce.number().min(0).max(1).default(0),
    BANK_HANG_RATE: z.coerce.number().min(0).max(1).default(0),
    BANK_LATE_MS: z.coerce.number().int().min(0).default(2_000),
    BANK_SIGNING_SECRET: z.string().min(1).optional(),
  })
  .parse(process.env);

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  id      text PRIMARY KEY,
  balance bigint NOT NULL
);
-- Append-only and deliberately without a unique key: one row per applied
-- business effect, so a duplicate application shows up as a second row.
CREATE TABLE IF NOT EXISTS effects (
  id             bigserial PRIMARY KEY,
  transaction_id text NOT NULL,
  step           text NOT NULL,
  phase          text NOT NULL,
  account        text NOT NULL,
  delta          bigint NOT NULL,
  at             timestamptz NOT NULL DEFAULT now()
);
-- TCC: money set aside by a debit try, and incoming money announced by a
-- credit try; both go back to zero once every transaction is decided.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS frozen bigint NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS pending bigint NOT NULL DEFAULT 0;
ALTER TABLE effects ADD COLUMN IF NOT EXISTS frozen_delta bigint NOT NULL DEFAULT 0;
ALTER TABLE effects ADD COLUMN IF NOT EXISTS pending_delta bigint NOT NULL DEFAULT 0;
`;

const MAX_BODY_BYTES = 1024 * 1024;

const transferInput = z.object({ account: z.string().min(1), amount: z.number().int().positive() });

const pool = new Pool({ connectionString: env.DATABASE_URL, max: 10 });
// An idle connection dropped by a Postgres restart must not kill the process.
pool.on('error', (error) => process.stderr.write(`bank-participant: idle connection: ${error.message}\n`));
const barrier = new Barrier(pool);

/** Debits (and debit tries) refuse to overdraw; undos, confirms and cancels
 * never refuse, even into the red. */
const sagaRoutes: Record<string, ParticipantRoute> = {
  '/debit': (input, context) => move(context, input, { balance: -1 }, true),
  '/debit/undo': (input, context) => move(context, input, { balance: +1 }, false),
  '/credit': (input, context) => move(context, input, { balance: +1 }, false),
  '/credit/undo': (input, context) => move(context, input, { balance: -1 }, false),
};

const routes: Record<string, ParticipantRoute> = {
  ...sagaRoutes,
  '/debit/action': sagaRoutes['/debit'],
  '/debit/compensation': sagaRoutes['/debit/undo'],
  '/credit/action': sagaRoutes['/credit'],
  '/credit/compensation': sagaRoutes['/credit/undo'],
  '/tcc/debit/try': (input, context) => move(context, input, { balance: -1, frozen: +1 }, true),
  '/tcc/debit/confirm': (input, context) => move(context, input, { frozen: -1 }, false),
  '/tcc/debit/cancel': (input, context) => move(context, input, { balance: +1, frozen: -1 }, false),
  '/tcc/credit/try': (input, context) => move(context, input, { pending: +1 }, false),
  '/tcc/credit/confirm': (input, context) => move(context, input, { balance: +1, pending: -1 }, false),
  '/tcc/credit/cancel': (input, context) => move(context, input, { pending: -1 }, false),
};

/** Signs (+1/-1) of the change to each column; the amount is the input's. */
interface Movement {
  balance?: 1 | -1;
  frozen?: 1 | -1;
  pending?: 1 | -1;
}

async function move(context: ParticipantContext, input: unknown, movement: Movement, guarded: boolean): Promise<unknown> {
  const parsed = transferInput.safeParse(input);
  if (!parsed.success) throw new BusinessRefusal('input must be {account, amount > 0}', { code: 'INVALID_INPUT' });
  const { account, amount } = parsed.data;
  const delta = (movement.balance ?? 0) * amount;
  const frozenDelta = (movement.frozen ?? 0) * amount;
  const pendingDelta = (movement.pending ?? 0) * amount;
  const { client, call } = context;

  const updated = await client.query<{ balance: string; frozen: string; pending: string }>(
    `UPDATE accounts SET balance = balance + $2, frozen = frozen + $3, pending = pending + $4
      WHERE id = $1 ${guarded ? 'AND balance + $2 >= 0' : ''} RETURNING balance, frozen, pending`,
    [account, delta, frozenDelta, pendingDelta],
  );
  const row = updated.rows[0];
  if (!row) {
    const exists = await client.query('SELECT 1 FROM accounts WHERE id = $1', [account]);
    if (exists.rowCount === 0) throw new BusinessRefusal(`no account ${account}`, { code: 'UNKNOWN_ACCOUNT' });
    throw new BusinessRefusal(`insufficient funds in ${account}`, { code: 'INSUFFICIENT_FUNDS', details: { amount } });
  }
  await client.query(
    `INSERT INTO effects (transaction_id, step, phase, account, delta, frozen_delta, pending_delta)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [call.transactionId, call.step, call.phase, account, delta, frozenDelta, pendingDelta],
  );
  // The saga routes answer as they always did; the TCC ones show the reserved amounts too.
  if (movement.frozen === undefined && movement.pending === undefined) return { account, balance: Number(row.balance) };
  return { account, balance: Number(row.balance), frozen: Number(row.frozen), pending: Number(row.pending) };
}

type Fault = 'none' | 'before-commit' | 'lost-answer' | 'late' | 'hang';

const injected: Record<Exclude<Fault, 'none'>, number> = { 'before-commit': 0, 'lost-answer': 0, late: 0, hang: 0 };

/** One roll, its range cut into the fault shares (which add up to at most 1). */
function rollFault(): Fault {
  let roll = Math.random();
  const shares: Array<[Exclude<Fault, 'none'>, number]> = [
    ['before-commit', env.BANK_FAIL_RATE / 2],
    ['lost-answer', env.BANK_FAIL_RATE / 2],
    ['late', env.BANK_LATE_RATE],
    ['hang', env.BANK_HANG_RATE],
  ];
  for (const [fault, share] of shares) {
    if (roll < share) return fault;
    roll -= share;
  }
  return 'none';
}

/** The SDK answers the call (signature, validation, barrier); the bank only
 * adds its delay and the injected faults around it. */
async function serveCall(req: IncomingMessage, res: ServerResponse, route: ParticipantRoute): Promise<void> {
  const raw = await readRequestBody(req, MAX_BODY_BYTES);
  if (raw === undefined) return sendJson(res, 413, errorBody('PAYLOAD_TOO_LARGE', 'body too large'));
  if (env.BANK_DELAY_MS > 0) await sleep(Math.random() * env.BANK_DELAY_MS);
  const fault = rollFault();
  if (fault === 'hang') {
    // Counted when the hang begins: the test reads the counts while hung calls may still sleep.
    injected.hang++;
    await sleep(env.BANK_LATE_MS);
  }
  const answer = await answerParticipantCall(
    { barrier, signingSecret: env.BANK_SIGNING_SECRET },
    async (input, context) => {
      const output = await route(input, context);
      // After the writes, so the rollback of a half-done change is exercised too.
      if (fault === 'before-commit') throw new TransientFailure('injected failure before commit');
      return output;
    },
    raw,
    req.headers,
  );
  // Only a call the barrier ran can lose its answer after the commit.
  const ran = answer.headers[BARRIER_RESULT_HEADER] !== undefined;
  if (fault !== 'none' && fault !== 'hang' && (fault !== 'lost-answer' || ran)) injected[fault]++;
  if (fault === 'lost-answer' && ran) {
    return sendJson(res, 503, errorBody('UNAVAILABLE', 'injected failure after commit'));
  }
  if (fault === 'late') await sleep(env.BANK_LATE_MS);
  sendJson(res, answer.status, answer.body, answer.headers);
}

async function seed(req: IncomingMessage): Promise<void> {
  const body = z
    .object({ accounts: z.record(z.string(), z.number().int()) })
    .parse(JSON.parse((await readRequestBody(req, MAX_BODY_BYTES)) ?? ''));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('TRUNCATE accounts, effects, accord_barrier RESTART IDENTITY');
    for (const [id, balance] of Object.entries(body.accounts)) {
      await client.query('INSERT INTO accounts (id, balance) VALUES ($1, $2)', [id, balance]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

async function accounts(): Promise<Balances> {
  // One statement, so the three sums are of the same snapshot.
  const { rows } = await pool.query<{ id: string; balance: string; frozen: string; pending: string }>(
    'SELECT id, balance, frozen, pending FROM accounts ORDER BY id',
  );
  const sum = (column: 'balance' | 'frozen' | 'pending') => rows.reduce((total, r) => total + Number(r[column]), 0);
  return {
    accounts: Object.fromEntries(rows.map((r) => [r.id, Number(r.balance)])),
    total: sum('balance'),
    frozen: sum('frozen'),
    pending: sum('pending'),
    details: Object.fromEntries(
      rows.map((r) => [r.id, { balance: Number(r.balance), frozen: Number(r.frozen), pending: Number(r.pending) }]),
    ),
  };
}

async function effects(): Promise<unknown[]> {
  const { rows } = await pool.query<{ id: string; delta: string; frozenDelta: string; pendingDelta: string }>(
    `SELECT id, transaction_id AS "transactionId", step, phase, account, delta,
            frozen_delta AS "frozenDelta", pending_delta AS "pendingDelta", at
       FROM effects ORDER BY id`,
  );
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    delta: Number(r.delta),
    frozenDelta: Number(r.frozenDelta),
    pendingDelta: Number(r.pendingDelta),
  }));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://bank').pathname;
  const route = routes[path];
  if (route && req.method === 'POST') return serveCall(req, res, route);
  if (path === '/_seed' && req.method === 'POST') {
    await seed(req);
    return sendJson(res, 204, undefined);
  }
  if (path === '/_accounts' && req.method === 'GET') return sendJson(res, 200, await accounts());
  if (path === '/_effects' && req.method === 'GET') return sendJson(res, 200, await effects());
  if (path === '/_faults' && req.method === 'GET') return sendJson(res, 200, injected);
  sendJson(res, 404, errorBody('NOT_FOUND', `${req.method} ${path}`));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function installSchema(): Promise<void> {
  const client = await pool.connect();
  try {
    // Several banks may start on one database at once.
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('bank-participant'))");
    await client.query(SCHEMA);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  await barrier.install();
}

const server = createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    process.stderr.write(`bank-participant: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    if (!res.headersSent) sendJson(res, 503, errorBody('UNAVAILABLE', String(error)));
  });
});
server.keepAliveTimeout = 65_000;

function shutdown(): void {
  server.close(() => {
    pool.end().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  server.closeAllConnections();
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

installSchema().then(
  () => {
    server.listen(env.PORT, '127.0.0.1', () => {
      const address = server.address();
      process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
    });
  },
  (error: unknown) => {
    process.stderr.write(`bank-participant: cannot install schema: ${String(error)}\n`);
    process.exit(1);
  },
);
