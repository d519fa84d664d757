/**
 * A bank on the participant SDK, for end-to-end and chaos tests: accounts in
 * its own Postgres, every business change behind the barrier, and an
 * append-only `effects` table with no uniqueness, so a test can prove that no
 * effect was applied twice.
 *
 *   PORT=0 DATABASE_URL=postgres://… node dist/test/support/bank-participant.js  → "LISTENING <port>"
 *
 * BANK_FAIL_RATE (0..1, default 0): share of calls that fail transiently —
 * half inside the local transaction after the business writes (rolled back,
 * 503), half after the barrier committed (503 anyway: the answer is "lost",
 * the retry gets the duplicate). BANK_DELAY_MS (default 0): random delay up
 * to this before each call.
 *
 * Participant routes (ParticipantCall, input `{account, amount}`):
 * POST /debit, /debit/undo, /credit, /credit/undo.
 * Control: POST /_seed `{"accounts": {"a": 1000}}` (resets everything),
 * GET /_accounts → `{accounts, total}`, GET /_effects → effect rows.
 * Several processes may run against one database (kill/restart tests).
 */
import {
  Barrier,
  BusinessRefusal,
  TransientFailure,
  parseParticipantCall,
  readRequestBody,
  sendBarrierResult,
  sendJson,
  type ParticipantContext,
  type ParticipantRoute,
} from '@accord/sdk';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { z } from 'zod';

const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(0),
    DATABASE_URL: z.string().min(1),
    BANK_FAIL_RATE: z.coerce.number().min(0).max(1).default(0),
    BANK_DELAY_MS: z.coerce.number().int().min(0).default(0),
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
`;

const transferInput = z.object({ account: z.string().min(1), amount: z.number().int().positive() });

const pool = new Pool({ connectionString: env.DATABASE_URL, max: 10 });
// An idle connection dropped by a Postgres restart must not kill the process.
pool.on('error', (error) => process.stderr.write(`bank-participant: idle connection: ${error.message}\n`));
const barrier = new Barrier(pool);

/** Debits refuse to overdraw; undos never refuse, even into the red. */
const routes: Record<string, ParticipantRoute> = {
  '/debit': (input, context) => move(context, input, -1, true),
  '/debit/undo': (input, context) => move(context, input, +1, false),
  '/credit': (input, context) => move(context, input, +1, false),
  '/credit/undo': (input, context) => move(context, input, -1, false),
};

async function move(context: ParticipantContext, input: unknown, sign: 1 | -1, guarded: boolean): Promise<unknown> {
  const parsed = transferInput.safeParse(input);
  if (!parsed.success) throw new BusinessRefusal('input must be {account, amount > 0}', { code: 'INVALID_INPUT' });
  const { account, amount } = parsed.data;
  const delta = sign * amount;
  const { client, call } = context;

  const updated = await client.query<{ balance: string }>(
    `UPDATE accounts SET balance = balance + $2 WHERE id = $1 ${guarded ? 'AND balance + $2 >= 0' : ''} RETURNING balance`,
    [account, delta],
  );
  const row = updated.rows[0];
  if (!row) {
    const exists = await client.query('SELECT 1 FROM accounts WHERE id = $1', [account]);
    if (exists.rowCount === 0) throw new BusinessRefusal(`no account ${account}`, { code: 'UNKNOWN_ACCOUNT' });
    throw new BusinessRefusal(`insufficient funds in ${account}`, { code: 'INSUFFICIENT_FUNDS', details: { amount } });
  }
  await client.query('INSERT INTO effects (transaction_id, step, phase, account, delta) VALUES ($1, $2, $3, $4, $5)', [
    call.transactionId,
    call.step,
    call.phase,
    account,
    delta,
  ]);
  return { account, balance: Number(row.balance) };
}

type Fault = 'none' | 'before-commit' | 'lost-answer';

function rollFault(): Fault {
  const roll = Math.random();
  if (roll >= env.BANK_FAIL_RATE) return 'none';
  return roll < env.BANK_FAIL_RATE / 2 ? 'before-commit' : 'lost-answer';
}

async function serveCall(req: IncomingMessage, res: ServerResponse, route: ParticipantRoute): Promise<void> {
  const raw = await readRequestBody(req, 1024 * 1024);
  const parsed = parseParticipantCall(raw ?? '', req.headers);
  if (!parsed.ok) return sendJson(res, parsed.status, parsed.body);
  const { call } = parsed;
  if (env.BANK_DELAY_MS > 0) await sleep(Math.random() * env.BANK_DELAY_MS);

  const fault = rollFault();
  const result = await barrier.run(call, async ({ client, forwardResult }) => {
    const output = await route(call.input, { client, call, forwardResult });
    // After the writes, so the rollback of a half-done change is exercised too.
    if (fault === 'before-commit') throw new TransientFailure('injected failure before commit');
    return output;
  });
  if (fault === 'lost-answer') {
    return sendJson(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'injected failure after commit' } });
  }
  sendBarrierResult(res, result);
}

async function seed(req: IncomingMessage): Promise<void> {
  const body = z
    .object({ accounts: z.record(z.string(), z.number().int()) })
    .parse(JSON.parse((await readRequestBody(req, 1024 * 1024)) ?? ''));
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

async function accounts(): Promise<{ accounts: Record<string, number>; total: number }> {
  const { rows } = await pool.query<{ id: string; balance: string }>('SELECT id, balance FROM accounts ORDER BY id');
  const balances = Object.fromEntries(rows.map((r) => [r.id, Number(r.balance)]));
  return { accounts: balances, total: rows.reduce((sum, r) => sum + Number(r.balance), 0) };
}

async function effects(): Promise<unknown[]> {
  const { rows } = await pool.query<{ id: string; delta: string }>(
    `SELECT id, transaction_id AS "transactionId", step, phase, account, delta, at FROM effects ORDER BY id`,
  );
  return rows.map((r) => ({ ...r, id: Number(r.id), delta: Number(r.delta) }));
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
  sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `${req.method} ${path}` } });
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
    if (!res.headersSent) sendJson(res, 503, { error: { code: 'SERVICE_UNAVAILABLE', message: String(error) } });
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
