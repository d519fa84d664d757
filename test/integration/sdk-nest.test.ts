import { Controller, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HEADERS, idempotencyKeyFor, signBody, type ParticipantCall, type Phase } from '@accord/contracts';
import { BARRIER_RESULT_HEADER, Barrier, BusinessRefusal, TransientFailure, type ParticipantContext } from '@accord/participant';
import { AccordParticipantModule, CallContext, CallInput, ParticipantEndpoint } from '@accord/participant/nest';
import { typeormDatabase, type TypeOrmSession } from '@accord/participant/typeorm';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { request } from 'undici';
import { createTestDatabase, dropTestDatabase, transactionIds } from '../support/test-env';

const SECRET = 'nest-participant-secret';

interface ReserveInput {
  sku: string;
  quantity: number;
}

/** A stock-keeping participant written the way a Nest user would. */
@Controller('inventory')
class InventoryController {
  @Post('reserve')
  @ParticipantEndpoint()
  async reserve(@CallInput() input: ReserveInput, @CallContext() ctx: ParticipantContext) {
    if (input.quantity > 10) throw new BusinessRefusal('not enough stock', { code: 'OUT_OF_STOCK' });
    if (input.sku === 'flaky') throw new TransientFailure('warehouse offline', { retryAfterSeconds: 2 });
    const { rows } = await ctx.client.query<{ id: string }>(
      'INSERT INTO reservations (transaction_id, sku, quantity) VALUES ($1, $2, $3) RETURNING id',
      [ctx.call.transactionId, input.sku, input.quantity],
    );
    return { reservationId: rows[0].id };
  }

  @Post('release')
  @ParticipantEndpoint()
  async release(@CallContext() ctx: ParticipantContext) {
    const { reservationId } = ctx.forwardResult as { reservationId: string };
    await ctx.client.query('DELETE FROM reservations WHERE id = $1', [reservationId]);
    return { released: reservationId };
  }
}

/** The same endpoint on TypeORM: the module is given a ready barrier, the method writes through `ctx.manager`. */
@Controller('inventory')
class TypeOrmInventoryController {
  @Post('reserve')
  @ParticipantEndpoint()
  async reserve(@CallInput() input: ReserveInput, @CallContext() ctx: ParticipantContext<TypeOrmSession>) {
    await ctx.manager.query('INSERT INTO reservations (transaction_id, sku, quantity) VALUES ($1, $2, $3)', [
      ctx.call.transactionId,
      input.sku,
      input.quantity,
    ]);
    // Refused after writing: the barrier must take the write back.
    if (input.quantity > 10) throw new BusinessRefusal('not enough stock', { code: 'OUT_OF_STOCK' });
    return { reserved: input.quantity };
  }
}

let databaseUrl: string;
let pool: Pool;
let app: NestFastifyApplication;
let baseUrl: string;

const newTx = transactionIds('nest');

const sign = (rawBody: string, secret = SECRET): string => signBody(secret, rawBody, Date.now());

function call(path: string, transactionId: string, phase: Phase, input: unknown, signature?: (body: string) => string) {
  return callAt(baseUrl, path, transactionId, phase, input, signature);
}

async function callAt(base: string, path: string, transactionId: string, phase: Phase, input: unknown, signature?: (body: string) => string) {
  const step = 'reserve';
  const body: ParticipantCall = { transactionId, step, phase, attempt: 1, input };
  const raw = JSON.stringify(body);
  const res = await request(`${base}/inventory/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [HEADERS.idempotencyKey]: idempotencyKeyFor(transactionId, step, phase),
      [HEADERS.signature]: (signature ?? sign)(raw),
    },
    body: raw,
  });
  const text = await res.body.text();
  return { status: res.statusCode, kind: res.headers[BARRIER_RESULT_HEADER], retryAfter: res.headers['retry-after'], body: text ? JSON.parse(text) : undefined };
}

const reservationsOf = async (transactionId: string) =>
  (await pool.query('SELECT sku, quantity FROM reservations WHERE transaction_id = $1', [transactionId])).rows;

beforeAll(async () => {
  databaseUrl = await createTestDatabase('sdk_nest');
  pool = new Pool({ connectionString: databaseUrl });
  await pool.query('CREATE TABLE reservations (id bigserial PRIMARY KEY, transaction_id text, sku text, quantity int)');

  @Module({ imports: [AccordParticipantModule.forRoot({ pool, signingSecret: SECRET, toleranceSeconds: 60 })], controllers: [InventoryController] })
  class InventoryModule {}

  app = await NestFactory.create<NestFastifyApplication>(InventoryModule, new FastifyAdapter(), { rawBody: true, logger: false });
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await dropTestDatabase(databaseUrl);
});

describe(AccordParticipantModule.name, () => {
  it('installs the barrier table at start-up', async () => {
    const { rows } = await pool.query("SELECT to_regclass('accord_barrier') AS name");
    expect(rows[0].name).toBe('accord_barrier');
  });

  it('answers a correctly signed call with 200 and the method’s return value', async () => {
    const tx = newTx();
    const res = await call('reserve', tx, 'action', { sku: 'A-1', quantity: 2 });
    expect(res).toMatchObject({ status: 200, kind: 'applied', body: { reservationId: expect.any(String) } });
    expect(await reservationsOf(tx)).toEqual([{ sku: 'A-1', quantity: 2 }]);
  });

  it('applies a duplicate call once and answers it with the first answer', async () => {
    const tx = newTx();
    const first = await call('reserve', tx, 'action', { sku: 'A-2', quantity: 1 });
    const again = await call('reserve', tx, 'action', { sku: 'A-2', quantity: 1 });
    expect(first).toMatchObject({ status: 200, kind: 'applied' });
    expect(again).toMatchObject({ status: 200, kind: 'duplicate', body: first.body });
    expect(await reservationsOf(tx)).toHaveLength(1);
  });

  it('gives the compensation what the action returned', async () => {
    const tx = newTx();
    const reserved = await call('reserve', tx, 'action', { sku: 'A-3', quantity: 1 });
    const released = await call('release', tx, 'compensation', { sku: 'A-3', quantity: 1 });
    expect(released).toMatchObject({ status: 200, kind: 'applied', body: { released: reserved.body.reservationId } });
    expect(await reservationsOf(tx)).toEqual([]);
  });

  it('records a null compensation without running the method, then refuses the late action as hanging', async () => {
    const tx = newTx();
    const released = await call('release', tx, 'compensation', { sku: 'A-4', quantity: 1 });
    expect(released).toMatchObject({ status: 200, kind: 'null-compensation' });
    const late = await call('reserve', tx, 'action', { sku: 'A-4', quantity: 1 });
    expect(late).toMatchObject({ status: 409, kind: 'hanging', body: { error: { code: 'HANGING_CALL' } } });
    expect(await reservationsOf(tx)).toEqual([]);
  });

  it('answers a BusinessRefusal with 409 and another error with a retryable 503', async () => {
    const refused = await call('reserve', newTx(), 'action', { sku: 'A-5', quantity: 99 });
    expect(refused).toMatchObject({ status: 409, kind: 'refused', body: { error: { code: 'OUT_OF_STOCK' } } });
    const flaky = await call('reserve', newTx(), 'action', { sku: 'flaky', quantity: 1 });
    expect(flaky).toMatchObject({ status: 503, kind: 'failed', retryAfter: '2', body: { error: { code: 'TRANSIENT_FAILURE' } } });
  });

  it('answers a call with a bad signature with 401 and runs nothing', async () => {
    const tx = newTx();
    const res = await call('reserve', tx, 'action', { sku: 'A-6', quantity: 1 }, (raw) => sign(raw, 'wrong-secret'));
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/signature mismatch$/) });
    expect(await reservationsOf(tx)).toEqual([]);
    expect((await pool.query('SELECT 1 FROM accord_barrier WHERE transaction_id = $1', [tx])).rowCount).toBe(0);
  });
});

describe(`${AccordParticipantModule.name} given a TypeORM barrier`, () => {
  let dataSource: DataSource;
  let typeormApp: NestFastifyApplication;
  let typeormUrl: string;

  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'postgres', url: databaseUrl }).initialize();
    const barrier = new Barrier(typeormDatabase(dataSource));

    @Module({ imports: [AccordParticipantModule.forRoot({ barrier, signingSecret: SECRET })], controllers: [TypeOrmInventoryController] })
    class TypeOrmInventoryModule {}

    typeormApp = await NestFactory.create<NestFastifyApplication>(TypeOrmInventoryModule, new FastifyAdapter(), { rawBody: true, logger: false });
    await typeormApp.listen(0, '127.0.0.1');
    typeormUrl = await typeormApp.getUrl();
  });

  afterAll(async () => {
    await typeormApp?.close();
    await dataSource?.destroy();
  });

  it('runs the method on ctx.manager inside the barrier: a duplicate applies once, a refusal leaves nothing', async () => {
    const tx = newTx();
    const first = await callAt(typeormUrl, 'reserve', tx, 'action', { sku: 'T-1', quantity: 2 });
    const again = await callAt(typeormUrl, 'reserve', tx, 'action', { sku: 'T-1', quantity: 2 });
    expect(first).toMatchObject({ status: 200, kind: 'applied', body: { reserved: 2 } });
    expect(again).toMatchObject({ status: 200, kind: 'duplicate', body: { reserved: 2 } });
    expect(await reservationsOf(tx)).toEqual([{ sku: 'T-1', quantity: 2 }]);

    const refusedTx = newTx();
    const refused = await callAt(typeormUrl, 'reserve', refusedTx, 'action', { sku: 'T-2', quantity: 99 });
    expect(refused).toMatchObject({ status: 409, kind: 'refused', body: { error: { code: 'OUT_OF_STOCK' } } });
    expect(await reservationsOf(refusedTx)).toEqual([]);
  });
});
