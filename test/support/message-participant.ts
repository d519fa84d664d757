/**
 * A stock-keeping participant written as a Nest user would write one on
 * @nestjs/microservices: the same controller served over every transport
 * the environment names (NATS_URL, RABBITMQ_URL with RMQ_QUEUE,
 * TRANSPORT_REDIS_URL, TCP_PORT), each handler a `@ParticipantPattern` of
 * the SDK with its barrier in DATABASE_URL.
 *
 *   DATABASE_URL=… NATS_URL=… node dist-test/support/message-participant.js  → "LISTENING <tcp port or 0>"
 *
 * Patterns: `<PATTERN_PREFIX>.reserve` / `<PATTERN_PREFIX>.release` (action
 * and compensation; the prefix, default `stock`, keeps test runs sharing a
 * broker apart).
 * The step's input says how to behave, so a test needs no control channel:
 * `{"qty": n}` reserves n; `"refuse": true` refuses (409); `"failAttempts": n`
 * fails the first n attempts with a TransientFailure (503); `"delayMs"`
 * waits before answering. Every call that reaches a handler is written to
 * `received` (outside the barrier: failed attempts too), every applied
 * effect to `effects` (inside it: once per step and phase).
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BaseRpcContext, Ctx, Payload, Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { BusinessRefusal, TransientFailure, type ParticipantContext } from '@accord/participant';
import { AccordParticipantModule, CallContext, CallInput } from '@accord/participant/nest';
import { ParticipantPattern } from '@accord/participant/microservices';
import { Pool } from 'pg';

interface StockInput {
  qty?: number;
  refuse?: boolean;
  failAttempts?: number;
  delayMs?: number;
}

const env = process.env;
const PREFIX = env.PATTERN_PREFIX ?? 'stock';
const pool = new Pool({ connectionString: env.DATABASE_URL, max: 16 });
// `received` is written outside the barrier's transaction, on a pool of its
// own: a call holding a barrier connection must never wait for another one
// from the same pool (many calls at once would hold them all and wait forever).
const logPool = new Pool({ connectionString: env.DATABASE_URL, max: 4 });
// A connection the server drops (a test tearing its database down) must not end the process.
pool.on('error', () => undefined);
logPool.on('error', () => undefined);

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS received (
    id bigserial PRIMARY KEY, transport text NOT NULL, transaction_id text NOT NULL, step text NOT NULL,
    phase text NOT NULL, attempt int NOT NULL, headers jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS effects (
    transaction_id text NOT NULL, step text NOT NULL, phase text NOT NULL, qty int NOT NULL,
    PRIMARY KEY (transaction_id, step, phase));`;

@Controller()
class StockController {
  @ParticipantPattern(`${PREFIX}.reserve`)
  reserve(@CallInput() input: StockInput, @CallContext() ctx: ParticipantContext, @Payload() data: { headers: unknown }, @Ctx() rpc: BaseRpcContext) {
    return this.apply(input, ctx, data, rpc);
  }

  @ParticipantPattern(`${PREFIX}.release`)
  release(@CallInput() input: StockInput, @CallContext() ctx: ParticipantContext, @Payload() data: { headers: unknown }, @Ctx() rpc: BaseRpcContext) {
    return this.apply(input, ctx, data, rpc);
  }

  private async apply(input: StockInput, ctx: ParticipantContext, data: { headers: unknown }, rpc: BaseRpcContext) {
    const { transactionId, step, phase, attempt } = ctx.call;
    const transport = rpc.constructor.name.replace(/Context$/, '').toLowerCase();
    await logPool.query('INSERT INTO received (transport, transaction_id, step, phase, attempt, headers) VALUES ($1, $2, $3, $4, $5, $6)', [
      transport,
      transactionId,
      step,
      phase,
      attempt,
      JSON.stringify(data.headers),
    ]);
    if (input.delayMs) await new Promise((resolve) => setTimeout(resolve, input.delayMs));
    if (phase === 'action' && input.refuse) throw new BusinessRefusal('out of stock', { code: 'OUT_OF_STOCK' });
    if (attempt <= (input.failAttempts ?? 0)) throw new TransientFailure('warehouse offline');
    const qty = input.qty ?? 1;
    await ctx.client.query('INSERT INTO effects (transaction_id, step, phase, qty) VALUES ($1, $2, $3, $4)', [transactionId, step, phase, qty]);
    return { step, phase, qty, transport };
  }
}

@Module({
  imports: [AccordParticipantModule.forRoot({ pool, signingSecret: env.SIGNING_SECRET || undefined })],
  controllers: [StockController],
})
class StockModule {}

function transports(): MicroserviceOptions[] {
  const list: MicroserviceOptions[] = [];
  if (env.NATS_URL) {
    list.push({ transport: Transport.NATS, options: { servers: env.NATS_URL.split(','), queue: PREFIX, maxReconnectAttempts: -1, reconnectTimeWait: 500 } });
  }
  if (env.RABBITMQ_URL) {
    list.push({
      transport: Transport.RMQ,
      options: { urls: [env.RABBITMQ_URL], queue: env.RMQ_QUEUE ?? PREFIX, socketOptions: { heartbeatIntervalInSeconds: 5, reconnectTimeInSeconds: 1 } },
    });
  }
  if (env.TRANSPORT_REDIS_URL) {
    const url = new URL(env.TRANSPORT_REDIS_URL);
    list.push({ transport: Transport.REDIS, options: { host: url.hostname, port: Number(url.port || 6379), retryAttempts: 1_000_000, retryDelay: 500 } });
  }
  if (env.TCP_PORT) list.push({ transport: Transport.TCP, options: { host: '127.0.0.1', port: Number(env.TCP_PORT) } });
  return list;
}

async function main(): Promise<void> {
  await pool.query(SCHEMA);
  const apps = await Promise.all(transports().map((options) => NestFactory.createMicroservice<MicroserviceOptions>(StockModule, { ...options, logger: ['error'] })));
  await Promise.all(apps.map((app) => app.listen()));
  process.stdout.write(`LISTENING ${env.TCP_PORT ?? 0}\n`);
  const stop = (): void => {
    void Promise.allSettled(apps.map((app) => app.close())).then(() => Promise.allSettled([pool.end(), logPool.end()]).finally(() => process.exit(0)));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`message-participant: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
