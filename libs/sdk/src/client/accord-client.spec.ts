import { MockAgent } from 'undici';
import { AccordApiError } from './accord-api-error';
import { AccordClient } from './accord-client';

const BASE = 'http://accord.test';
const VIEW = { id: 'tx-1', status: 'RUNNING', steps: [] };

function setup(retries = 2) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const client = new AccordClient({ baseUrl: `${BASE}/`, token: 'secret-token', retries, dispatcher: agent });
  return { client, pool: agent.get(BASE) };
}

const contractError = (code: string, message = code) => ({ error: { code, message, details: [{ path: 'x', message: 'bad' }] } });

describe(AccordClient.name, () => {
  it('sends the bearer token and a generated idempotency key, and keeps that key across retries', async () => {
    const { client, pool } = setup();
    const bodies: Array<{ idempotencyKey: string }> = [];
    const record = (opts: { body?: unknown; headers?: unknown }) => {
      bodies.push(JSON.parse(String(opts.body)));
      expect(opts.headers).toMatchObject({ authorization: 'Bearer secret-token' });
    };
    pool.intercept({ path: '/v1/transactions', method: 'POST' }).replyWithError(new Error('socket hang up'));
    pool.intercept({ path: '/v1/transactions', method: 'POST' }).reply(503, (opts) => (record(opts), contractError('SERVICE_UNAVAILABLE')));
    pool.intercept({ path: '/v1/transactions', method: 'POST' }).reply(200, (opts) => (record(opts), VIEW));

    const started = await client.start({ definition: 'checkout', input: { total: 1 } });
    expect(started).toEqual({ transaction: VIEW, created: false, idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(bodies).toEqual([
      { definition: 'checkout', input: { total: 1 }, idempotencyKey: started.idempotencyKey },
      { definition: 'checkout', input: { total: 1 }, idempotencyKey: started.idempotencyKey },
    ]);
  });

  it('passes waitMs as a query parameter and a given idempotency key unchanged', async () => {
    const { client, pool } = setup();
    pool
      .intercept({ path: '/v1/transactions?waitMs=500', method: 'POST', body: (b) => JSON.parse(b).idempotencyKey === 'order-1' })
      .reply(201, VIEW);
    expect(await client.start({ definition: 'checkout', idempotencyKey: 'order-1', waitMs: 500 })).toMatchObject({ created: true, idempotencyKey: 'order-1' });
  });

  it('retries a read on 429 and 5xx, then gives up with the last error', async () => {
    const { client, pool } = setup(2);
    pool.intercept({ path: '/v1/transactions/tx-1', method: 'GET' }).reply(429, contractError('SERVICE_UNAVAILABLE'), { headers: { 'retry-after': '0' } });
    pool.intercept({ path: '/v1/transactions/tx-1', method: 'GET' }).reply(200, VIEW);
    expect(await client.get('tx-1')).toEqual(VIEW);

    pool.intercept({ path: '/v1/transactions/tx-1', method: 'GET' }).reply(502, 'Bad Gateway').times(3);
    const error = await client.get('tx-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AccordApiError);
    expect(error).toMatchObject({ status: 502, code: 'HTTP_502', message: 'HTTP 502: Bad Gateway' });
  });

  it('does not retry a contract 4xx, and exposes its code and details', async () => {
    const { client, pool } = setup();
    pool.intercept({ path: '/v1/definitions/nope', method: 'GET' }).reply(404, contractError('DEFINITION_NOT_FOUND', 'no definition "nope"'));
    await expect(client.getDefinition('nope')).rejects.toMatchObject({
      name: 'AccordApiError',
      status: 404,
      code: 'DEFINITION_NOT_FOUND',
      message: 'no definition "nope"',
      details: [{ path: 'x', message: 'bad' }],
    });
  });

  it('sends abort and operator actions once, even on a 503', async () => {
    const { client, pool } = setup();
    pool.intercept({ path: '/v1/transactions/tx-1/abort', method: 'POST' }).reply(503, contractError('SERVICE_UNAVAILABLE'));
    pool.intercept({ path: '/v1/admin/transactions/tx-1/resolve', method: 'POST' }).reply(503, contractError('SERVICE_UNAVAILABLE'));
    await expect(client.abort('tx-1')).rejects.toMatchObject({ status: 503 });
    await expect(client.admin.resolve('tx-1', 'by hand')).rejects.toMatchObject({ status: 503 });
    // A retry would have found no interceptor left and failed differently.
  });

  it('iterates over every page of a listing', async () => {
    const { client, pool } = setup();
    pool.intercept({ path: '/v1/transactions?status=STUCK&limit=2', method: 'GET' }).reply(200, { items: [{ id: 'a' }, { id: 'b' }], nextCursor: 'c1' });
    pool.intercept({ path: '/v1/transactions?status=STUCK&limit=2&cursor=c1', method: 'GET' }).reply(200, { items: [{ id: 'c' }], nextCursor: null });
    const ids: string[] = [];
    for await (const summary of client.listAll({ status: 'STUCK', limit: 2 })) ids.push(summary.id);
    expect(ids).toEqual(['a', 'b', 'c']);
  });
});
