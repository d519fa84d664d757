import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageTransport } from '@accord/contracts';
import { createRabbitVhost, type RabbitVhost } from '../support/brokers';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startStockParticipant, stockEndpoint, type StockParticipant } from '../support/message-fixtures.spec-kit';
import { startNats, type NatsProcess } from '../support/nats-process';
import { startRedis, type RedisProcess } from '../support/redis-process';

/** Transactions per broker, started one after another across the outage. */
const COUNT = 16;
const START_EVERY_MS = 120;

describe('a broker that goes away mid-run', () => {
  const prefix = `stock_${Math.random().toString(36).slice(2, 8)}`;
  let nats: NatsProcess;
  let redis: RedisProcess;
  let vhost: RabbitVhost;
  let participant: StockParticipant;
  let coordinator: CoordinatorProcess;
  let api: Api;

  const endpoint = (transport: MessageTransport, action: 'reserve' | 'release') => stockEndpoint(transport, prefix, action, { timeoutMs: 1500 });

  const saga = (transport: MessageTransport, retry: Record<string, unknown>) => ({
    type: 'saga',
    retry,
    steps: ['reserve', 'hold'].map((name) => ({
      name,
      input: { qty: 1, delayMs: 100 },
      action: endpoint(transport, 'reserve'),
      compensation: endpoint(transport, 'release'),
    })),
  });

  /** Generous budget: every call must outlive the outage. */
  const patient = { maxAttempts: 60, initialDelayMs: 100, maxDelayMs: 500, jitter: false };

  /** Starts COUNT transactions, one every START_EVERY_MS, while `outage` runs. */
  async function runThrough(transport: MessageTransport, outage: () => Promise<void>): Promise<string[]> {
    const ids: string[] = [];
    const starting = (async () => {
      for (let i = 0; i < COUNT; i++) {
        const res = await api.post('/v1/transactions', { spec: saga(transport, patient), input: {} });
        expect(res.status).toBe(201);
        ids.push(res.body.id as string);
        await sleep(START_EVERY_MS);
      }
    })();
    // Some are done, some in flight, some not started yet when the broker goes.
    await sleep(START_EVERY_MS * 4);
    await outage();
    await starting;
    return ids;
  }

  async function expectAllCompletedOnce(ids: string[]): Promise<void> {
    const settled = await Promise.all(ids.map((id) => api.settle(id, 60_000)));
    expect(settled.map((tx) => tx.status)).toEqual(ids.map(() => 'COMPLETED'));
    const { rows } = await participant.pool.query<{ transaction_id: string; n: number }>(
      `SELECT transaction_id, count(*)::int AS n FROM effects WHERE transaction_id = ANY($1) AND phase = 'action' GROUP BY transaction_id`,
      [ids],
    );
    expect(rows.map((r) => r.n)).toEqual(ids.map(() => 2));
    // The outage was felt: some call had to be made again.
    const attempts = settled.flatMap((tx) => tx.steps.map((s: { attempts: number }) => s.attempts));
    expect(Math.max(...attempts)).toBeGreaterThan(1);
  }

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    vhost = createRabbitVhost('restart');
    participant = await startStockParticipant('broker_restart_participant', {
      PATTERN_PREFIX: prefix,
      NATS_URL: nats.url,
      RABBITMQ_URL: vhost.url,
      TRANSPORT_REDIS_URL: redis.url,
    });
    coordinator = await startCoordinator({
      label: 'broker_restart',
      env: { NATS_URL: nats.url, RABBITMQ_URL: vhost.url, TRANSPORT_REDIS_URL: redis.url },
    });
    api = new Api(coordinator.url);
  }, 90_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
    await nats?.stop();
    await redis?.stop();
    vhost?.remove();
  }, 60_000);

  it.each<['nats' | 'redis', string]>([
    ['nats', 'nats-server'],
    ['redis', 'the transport redis-server'],
  ])('settles every transaction over %s, each effect once, after %s is killed and restarted', async (transport) => {
    const server = transport === 'nats' ? nats : redis;
    const ids = await runThrough(transport, async () => {
      await server.kill('SIGKILL');
      await sleep(1500);
      await server.restart();
    });
    await expectAllCompletedOnce(ids);
  }, 120_000);

  it('settles every transaction, each effect once, after RabbitMQ closes every connection', async () => {
    const ids = await runThrough('rmq', () => {
      vhost.closeConnections();
      return Promise.resolve();
    });
    await expectAllCompletedOnce(ids);
  }, 120_000);

  it('parks a transaction as STUCK when its broker stays down through a compensation, and keeps running', async () => {
    const brief = { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 50, jitter: false };
    const spec = {
      type: 'saga',
      retry: brief,
      steps: [
        { name: 'reserve', input: { qty: 1 }, action: endpoint('nats', 'reserve'), compensation: endpoint('nats', 'release') },
        // Refused over redis once NATS is gone: reserve must be compensated over NATS.
        { name: 'hold', input: { refuse: true, delayMs: 1500 }, action: endpoint('redis', 'reserve') },
      ],
    };
    const res = await api.post('/v1/transactions', { spec, input: {} });
    expect(res.status).toBe(201);
    for (let tx = res.body; tx.steps[0].status !== 'SUCCEEDED'; tx = (await api.get(`/v1/transactions/${res.body.id}`)).body) {
      await sleep(50);
    }
    await nats.kill('SIGKILL');
    const tx = await api.settle(res.body.id);
    expect(tx.status).toBe('STUCK');
    expect(tx.steps[0].lastError).toContain('not delivered');
    expect((await api.get('/health/live')).status).toBe(200);
    expect((await api.get('/health/ready')).body.details.brokers.nats).toBe('down');
    await nats.restart();
    // Back (readiness says so once the client reconnected): an operator retry finishes the compensation.
    while ((await api.get('/health/ready')).body.details.brokers.nats !== 'up') await sleep(100);
    // The participant resubscribes on its own schedule; a patient saga over NATS shows the path works end to end.
    expect((await api.post('/v1/transactions?waitMs=30000', { spec: saga('nats', patient), input: {} })).body.status).toBe('COMPLETED');
    expect((await api.post(`/v1/admin/transactions/${tx.id}/retry`, { note: 'broker is back' })).status).toBe(202);
    expect((await api.settle(tx.id)).status).toBe('COMPENSATED');
  }, 60_000);
});
