import { createHmac } from 'node:crypto';
import { ClientNats, ClientRMQ } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { canonicalJson, messageCallData, START_PATTERN, type MessageTransport } from '@accord/contracts';
import { createRabbitVhost, NATS_URL, type RabbitVhost } from '../support/brokers';
import { Api, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { startStockParticipant, stockEndpoint, type StockParticipant } from '../support/message-fixtures.spec-kit';
import { freePort, redisUrl } from '../support/test-env';

const SECRET = 'message-signing-secret-0123456789';

describe('participants over NATS, RabbitMQ, Redis and TCP', () => {
  const prefix = `stock_${Math.random().toString(36).slice(2, 8)}`;
  let vhost: RabbitVhost;
  let tcpPort: number;
  let participant: StockParticipant;
  let coordinator: CoordinatorProcess;
  let api: Api;

  const endpoint = (transport: MessageTransport, action: 'reserve' | 'release') =>
    stockEndpoint(transport, prefix, action, { timeoutMs: 3000, tcpPort });

  /** Two steps on one transport; the second's quantity is the first's output. */
  const saga = (transport: MessageTransport, hold: Record<string, unknown> = {}) => ({
    type: 'saga',
    retry: { maxAttempts: 4, initialDelayMs: 50, maxDelayMs: 200, jitter: false },
    steps: [
      { name: 'reserve', input: { qty: '{{input.qty}}' }, action: endpoint(transport, 'reserve'), compensation: endpoint(transport, 'release') },
      { name: 'hold', input: { qty: '{{steps.reserve.output.qty}}', ...hold }, action: endpoint(transport, 'reserve'), compensation: endpoint(transport, 'release') },
    ],
  });

  const run = async (spec: unknown, input: unknown = { qty: 3 }) => {
    const res = await api.post('/v1/transactions?waitMs=30000', { spec, input });
    expect(res.status).toBe(201);
    return res.body;
  };

  const effects = async (transactionId: string) =>
    (
      await participant.pool.query<{ step: string; phase: string; qty: number }>(
        'SELECT step, phase, qty FROM effects WHERE transaction_id = $1 ORDER BY step, phase',
        [transactionId],
      )
    ).rows;

  const received = async (transactionId: string) =>
    (
      await participant.pool.query<{ transport: string; step: string; phase: string; attempt: number; headers: Record<string, string> }>(
        'SELECT transport, step, phase, attempt, headers FROM received WHERE transaction_id = $1 ORDER BY id',
        [transactionId],
      )
    ).rows;

  beforeAll(async () => {
    vhost = createRabbitVhost('transports');
    tcpPort = await freePort();
    participant = await startStockParticipant('msg_participant', {
      SIGNING_SECRET: SECRET,
      PATTERN_PREFIX: prefix,
      NATS_URL,
      RABBITMQ_URL: vhost.url,
      TRANSPORT_REDIS_URL: redisUrl(),
      TCP_PORT: String(tcpPort),
    });
    coordinator = await startCoordinator({
      label: 'transports',
      // Starts by message over RabbitMQ: the test's own vhost keeps them from any other coordinator.
      env: { SIGNING_SECRET: SECRET, NATS_URL, RABBITMQ_URL: vhost.url, START_TRANSPORT: 'rmq' },
    });
    api = new Api(coordinator.url);
  }, 90_000);

  afterAll(async () => {
    await coordinator?.stop();
    await participant?.stop();
    vhost?.remove();
  }, 60_000);

  it.each<MessageTransport>(['nats', 'rmq', 'redis', 'tcp'])(
    'completes a saga over %s: the reply is the step output, the next step renders from it, each effect applied once',
    async (transport) => {
      const tx = await run(saga(transport), { qty: 3 });
      expect(tx.status).toBe('COMPLETED');
      expect(tx.steps.map((s: { output: unknown }) => s.output)).toEqual([
        { step: 'reserve', phase: 'action', qty: 3, transport },
        { step: 'hold', phase: 'action', qty: 3, transport },
      ]);
      expect(await effects(tx.id)).toEqual([
        { step: 'hold', phase: 'action', qty: 3 },
        { step: 'reserve', phase: 'action', qty: 3 },
      ]);
      const [first] = await received(tx.id);
      expect(first.transport).toBe(transport);
      expect(first.headers).toEqual(
        expect.objectContaining({
          'idempotency-key': `${tx.id}:reserve:action`,
          'x-accord-transaction': tx.id,
          'x-accord-step': 'reserve',
          'x-accord-phase': 'action',
          'x-accord-attempt': '1',
          traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
          'x-accord-signature': expect.stringMatching(/^t=\d+,v1=[0-9a-f]{64}$/),
        }),
      );
      const attempts = (await api.get(`/v1/transactions/${tx.id}/attempts`)).body.items;
      expect(attempts[0].request.method).toBe('SEND');
      expect(attempts[0].request.url).toContain(`${prefix}.reserve`);
    },
    60_000,
  );

  it.each<MessageTransport>(['nats', 'rmq'])('compensates the first step over %s when the second is refused with 409', async (transport) => {
    const tx = await run(saga(transport, { refuse: true }));
    expect(tx.status).toBe('COMPENSATED');
    const hold = tx.steps.find((s: { name: string }) => s.name === 'hold');
    expect(hold.lastError).toContain('status 409');
    expect(hold.lastError).toContain('OUT_OF_STOCK');
    // The refused step applied nothing, its compensation found nothing to undo.
    expect(await effects(tx.id)).toEqual([
      { step: 'reserve', phase: 'action', qty: 3 },
      { step: 'reserve', phase: 'compensation', qty: 3 },
    ]);
  }, 60_000);

  it('retries a failing call with one idempotency key until it applies, once', async () => {
    const tx = await run(saga('nats', { failAttempts: 2 }));
    expect(tx.status).toBe('COMPLETED');
    expect(tx.steps.find((s: { name: string }) => s.name === 'hold').attempts).toBe(3);
    const holds = (await received(tx.id)).filter((r) => r.step === 'hold');
    expect(holds.map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(new Set(holds.map((r) => r.headers['idempotency-key']))).toEqual(new Set([`${tx.id}:hold:action`]));
    expect((await effects(tx.id)).filter((e) => e.step === 'hold')).toEqual([{ step: 'hold', phase: 'action', qty: 3 }]);
  }, 60_000);

  it('signs the data without its headers, and the participant refuses a call whose data was altered with 401', async () => {
    const tx = await run(saga('redis'));
    const [first] = await received(tx.id);
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(first.headers['x-accord-signature'])!;
    const call = { transactionId: tx.id, step: 'reserve', phase: 'action' as const, attempt: 1, input: { qty: 3 } };
    expect(match[2]).toBe(createHmac('sha256', SECRET).update(`${match[1]}.${canonicalJson(call)}`).digest('hex'));

    const client = new ClientNats({ servers: [NATS_URL] });
    try {
      const data = messageCallData({ ...call, transactionId: `${tx.id}-forged` }, { traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`, tracestate: null }, SECRET, Date.now());
      const forged = { ...data, input: { qty: 1000 } };
      await expect(lastValueFrom(client.send(`${prefix}.reserve`, forged))).rejects.toEqual(
        expect.objectContaining({ status: 401, message: expect.stringContaining('signature mismatch') }),
      );
      const unsigned = { ...data, headers: { ...data.headers, 'x-accord-signature': undefined } };
      await expect(lastValueFrom(client.send(`${prefix}.reserve`, unsigned))).rejects.toEqual(expect.objectContaining({ status: 401 }));
    } finally {
      await client.close();
    }
    expect(await effects(`${tx.id}-forged`)).toEqual([]);
  }, 60_000);

  it('starts transactions from accord.transactions.start messages with the REST rules: idempotent by key, validated', async () => {
    const client = new ClientRMQ({ urls: [vhost.url], queue: 'accord' });
    const send = (body: unknown) => lastValueFrom(client.send<Record<string, any>>(START_PATTERN, body));
    try {
      const key = `message-start-${prefix}`;
      const body = { spec: saga('tcp'), input: { qty: 2 }, idempotencyKey: key };
      const started = await send(body);
      expect(started).toEqual({ id: expect.any(String), status: 'RUNNING' });
      expect(await send(body)).toEqual({ id: started.id, status: expect.any(String) });
      expect((await api.settle(started.id)).status).toBe('COMPLETED');
      expect(await send({ ...body, input: { qty: 5 } })).toEqual({ error: expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' }) });
      expect(await send({ spec: saga('tcp'), input: {} })).toEqual({
        error: expect.objectContaining({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'idempotencyKey' })] }),
      });
      expect(await send({ definition: 'no-such-definition', idempotencyKey: `${key}-2` })).toEqual({
        error: expect.objectContaining({ code: 'DEFINITION_NOT_FOUND' }),
      });
      expect(await send('not an object')).toEqual({ error: expect.objectContaining({ code: 'VALIDATION_FAILED' }) });
    } finally {
      await client.close();
    }
  }, 60_000);
});
