/**
 * A deliberately naive participant: the bank's conformance-facing endpoints
 * done the way they look in a first draft, for the conformance kit to fail.
 * It applies every call it receives — no idempotency, so duplicates apply
 * twice; a compensation/cancel undoes even when the action/try never ran;
 * a try after its cancel is accepted; signatures are ignored — and numbers
 * each answer (`seq`), so even a repeated call answers differently.
 * In memory, node:http only; shares no code with the SDK.
 *
 * In a test: `const naive = await startNaiveParticipant(); … await naive.close()`.
 * Standalone: `PORT=0 node dist-test/support/naive-participant.js` → "LISTENING <port>".
 *
 * Routes (ParticipantCall, input `{account, amount}`), as on the bank:
 * POST /debit, /debit/undo, /credit, /credit/undo, the conventional aliases
 * /debit/action, /debit/compensation, /credit/action, /credit/compensation, and
 * /tcc/{debit,credit}/{try,confirm,cancel}. GET /_accounts → `{accounts, seq}`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface NaiveParticipant {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** Every account's balance, frozen and pending amounts as they stand. */
  accounts(): Record<string, { balance: number; frozen: number; pending: number }>;
  close(): Promise<void>;
}

type Account = { balance: number; frozen: number; pending: number };
type Movement = Partial<Record<keyof Account, 1 | -1>>;

/** Same movements as the bank's, minus every guard but the overdraft check. */
const ROUTES: Record<string, Movement> = {
  '/debit': { balance: -1 },
  '/debit/undo': { balance: +1 },
  '/credit': { balance: +1 },
  '/credit/undo': { balance: -1 },
  '/debit/action': { balance: -1 },
  '/debit/compensation': { balance: +1 },
  '/credit/action': { balance: +1 },
  '/credit/compensation': { balance: -1 },
  '/tcc/debit/try': { balance: -1, frozen: +1 },
  '/tcc/debit/confirm': { frozen: -1 },
  '/tcc/debit/cancel': { balance: +1, frozen: -1 },
  '/tcc/credit/try': { pending: +1 },
  '/tcc/credit/confirm': { balance: +1, pending: -1 },
  '/tcc/credit/cancel': { pending: -1 },
};

/** Starts one in this process; accounts are created on first use with `initialBalance`. */
export async function startNaiveParticipant(options: { port?: number; initialBalance?: number } = {}): Promise<NaiveParticipant> {
  const accounts = new Map<string, Account>();
  const initialBalance = options.initialBalance ?? 1_000_000;
  let seq = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://naive').pathname;
    if (req.method === 'GET' && path === '/_accounts') return send(res, 200, { accounts: Object.fromEntries(accounts), seq });
    const movement = req.method === 'POST' ? ROUTES[path] : undefined;
    if (!movement) return send(res, 404, { error: { code: 'NOT_FOUND', message: `${req.method} ${path}` } });

    let call: { input?: { account?: unknown; amount?: unknown } };
    try {
      call = JSON.parse(await readBody(req)) as typeof call;
    } catch {
      return send(res, 400, { error: { code: 'INVALID_JSON', message: 'body is not JSON' } });
    }
    const account = call?.input?.account;
    const amount = call?.input?.amount;
    if (typeof account !== 'string' || typeof amount !== 'number') {
      return send(res, 400, { error: { code: 'INVALID_INPUT', message: 'input must be {account, amount}' } });
    }
    const row = accounts.get(account) ?? { balance: initialBalance, frozen: 0, pending: 0 };
    accounts.set(account, row);
    if ((movement.balance ?? 0) < 0 && row.balance < amount) {
      return send(res, 409, { error: { code: 'INSUFFICIENT_FUNDS', message: `insufficient funds in ${account}` } });
    }
    // Yield once, like a database round trip would: concurrent copies interleave.
    await new Promise((resolve) => setImmediate(resolve));
    for (const column of ['balance', 'frozen', 'pending'] as const) row[column] += (movement[column] ?? 0) * amount;
    send(res, 200, { account, ...row, seq: ++seq });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { code: 'INTERNAL', message: String(error) } });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accounts: () => Object.fromEntries([...accounts].map(([id, a]) => [id, { ...a }])),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

if (require.main === module) {
  startNaiveParticipant({ port: Number(process.env.PORT ?? 0) }).then(
    (naive) => {
      process.stdout.write(`LISTENING ${naive.port}\n`);
      const stop = () => void naive.close().then(() => process.exit(0));
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(`naive-participant: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
