import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEADERS, idempotencyKeyFor, signBody, type ParticipantCall } from '@accord/contracts';
import { BARRIER_RESULT_HEADER, Barrier, createParticipantHandler, type ParticipantRoute } from '@accord/participant';
import { participantFastifyPlugin } from '@accord/participant/fastify';
import fastify, { type FastifyInstance } from 'fastify';
import { Pool } from 'pg';
import { request } from 'undici';
import { createTestDatabase, dropTestDatabase, transactionIds } from '../support/test-env';

const SECRET = 'participant-signing-secret';
const TOLERANCE_SECONDS = 60;

let databaseUrl: string;
let pool: Pool;
let server: Server;
let nodeUrl: string;
let app: FastifyInstance;
let fastifyUrl: string;

const newTx = transactionIds('sig');

/** The business change: one `effects` row per application. */
const reserve: ParticipantRoute = async (input, { client, call }) => {
  await client.query('INSERT INTO effects (transaction_id, phase) VALUES ($1, $2)', [call.transactionId, call.phase]);
  return { reserved: input };
};

function callBody(transactionId: string): string {
  const call: ParticipantCall = { transactionId, step: 'reserve', phase: 'action', attempt: 1, input: { sku: 'A-1' } };
  return JSON.stringify(call);
}

function sign(rawBody: string, { secret = SECRET, atSeconds = Math.floor(Date.now() / 1000) } = {}): string {
  return signBody(secret, rawBody, atSeconds * 1000);
}

async function post(baseUrl: string, rawBody: string, signature?: string, transactionId = JSON.parse(rawBody).transactionId) {
  const res = await request(`${baseUrl}/reserve`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [HEADERS.idempotencyKey]: idempotencyKeyFor(transactionId, 'reserve', 'action'),
      ...(signature === undefined ? {} : { [HEADERS.signature]: signature }),
    },
    body: rawBody,
  });
  return { status: res.statusCode, kind: res.headers[BARRIER_RESULT_HEADER], body: (await res.body.json()) as any };
}

async function rowsOf(transactionId: string): Promise<{ barrier: number; effects: number }> {
  const barrier = await pool.query('SELECT 1 FROM accord_barrier WHERE transaction_id = $1', [transactionId]);
  const effects = await pool.query('SELECT 1 FROM effects WHERE transaction_id = $1', [transactionId]);
  return { barrier: barrier.rowCount ?? 0, effects: effects.rowCount ?? 0 };
}

beforeAll(async () => {
  databaseUrl = await createTestDatabase('sdk_signature');
  pool = new Pool({ connectionString: databaseUrl });
  const barrier = new Barrier(pool);
  await barrier.install();
  await pool.query('CREATE TABLE effects (id bigserial PRIMARY KEY, transaction_id text, phase text)');

  const options = { barrier, signingSecret: SECRET, signatureToleranceSeconds: TOLERANCE_SECONDS, handlers: { '/reserve': reserve } };
  const handler = createParticipantHandler(options);
  server = createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  nodeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  app = fastify();
  await app.register(participantFastifyPlugin(options));
  fastifyUrl = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => server?.close(resolve));
  await pool?.end();
  await dropTestDatabase(databaseUrl);
});

describe('createParticipantHandler with a signing secret', () => {
  it('applies a correctly signed call', async () => {
    const tx = newTx();
    const body = callBody(tx);
    const res = await post(nodeUrl, body, sign(body));
    expect(res).toMatchObject({ status: 200, kind: 'applied', body: { reserved: { sku: 'A-1' } } });
    expect(await rowsOf(tx)).toEqual({ barrier: 1, effects: 1 });
  });

  const rejected: Array<[string, (body: string) => { body: string; signature?: string }, string]> = [
    ['has no signature header', (body) => ({ body }), 'missing'],
    ['has a malformed signature header', (body) => ({ body, signature: 't=now,v1=abc' }), 'malformed'],
    ['has a tampered body', (body) => ({ body: body.replace('A-1', 'A-9'), signature: sign(body) }), 'mismatch'],
    ['is signed with another secret', (body) => ({ body, signature: sign(body, { secret: 'not-the-secret' }) }), 'mismatch'],
    [
      'replays an old signed call, outside the window',
      (body) => ({ body, signature: sign(body, { atSeconds: Math.floor(Date.now() / 1000) - TOLERANCE_SECONDS - 5 }) }),
      'expired',
    ],
  ];

  it.each(rejected)('answers 401 and writes nothing when the call %s', async (_case, forge, reason) => {
    const tx = newTx();
    const { body, signature } = forge(callBody(tx));
    const res = await post(nodeUrl, body, signature, tx);
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(new RegExp(`signature ${reason}$`)) });
    expect(res.kind).toBeUndefined();
    expect(await rowsOf(tx)).toEqual({ barrier: 0, effects: 0 });
  });

  it('treats a replay inside the window as a duplicate: same answer, applied once', async () => {
    const tx = newTx();
    const body = callBody(tx);
    const signature = sign(body);
    const first = await post(nodeUrl, body, signature);
    const replay = await post(nodeUrl, body, signature);
    expect(first).toMatchObject({ status: 200, kind: 'applied' });
    expect(replay).toMatchObject({ status: 200, kind: 'duplicate', body: first.body });
    expect(await rowsOf(tx)).toEqual({ barrier: 1, effects: 1 });
  });
});

describe(participantFastifyPlugin.name, () => {
  it('checks the signature on the raw body and runs the call through the barrier', async () => {
    const tx = newTx();
    const body = callBody(tx);
    expect(await post(fastifyUrl, body.replace('A-1', 'A-9'), sign(body), tx)).toMatchObject({ status: 401 });
    expect(await rowsOf(tx)).toEqual({ barrier: 0, effects: 0 });

    const signature = sign(body);
    expect(await post(fastifyUrl, body, signature)).toMatchObject({ status: 200, kind: 'applied', body: { reserved: { sku: 'A-1' } } });
    expect(await post(fastifyUrl, body, signature)).toMatchObject({ status: 200, kind: 'duplicate' });
    expect(await rowsOf(tx)).toEqual({ barrier: 1, effects: 1 });
  });
});
