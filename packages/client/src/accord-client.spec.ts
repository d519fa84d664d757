import { AccordApiError } from './accord-api-error';
import { AccordClient } from './accord-client';

const BASE = 'http://accord.test';
const VIEW = { id: 'tx-1', status: 'RUNNING', steps: [] };

type Scripted = { status: number; body?: unknown; headers?: Record<string, string> } | Error | DOMException;

/** A fetch that answers from a script, in order, and records every request. */
function scriptedFetch(script: Scripted[]) {
  const requests: Array<{ url: string; method: string; headers: Record<string, string>; body: unknown }> = [];
  const fetch = jest.fn((url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
    requests.push({
      url: href,
      method: init?.method ?? 'GET',
      headers: init?.headers as Record<string, string>,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const next = script.shift();
    if (next === undefined) return Promise.reject(new Error(`unscripted request ${init?.method} ${href}`));
    if (next instanceof Error || next instanceof DOMException) return Promise.reject(next);
    const text = next.body === undefined ? '' : typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
    return Promise.resolve(new Response(text, { status: next.status, headers: next.headers }));
  });
  return { fetch, requests, left: () => script.length };
}

function setup(script: Scripted[], retries = 2) {
  const scripted = scriptedFetch(script);
  const client = new AccordClient({ baseUrl: `${BASE}/`, token: 'secret-token', retries, fetch: scripted.fetch });
  return { client, ...scripted };
}

const contractError = (code: string, message = code) => ({ error: { code, message, details: [{ path: 'x', message: 'bad' }] } });
const connectionError = () => new TypeError('fetch failed', { cause: new Error('ECONNRESET') });

describe(AccordClient.name, () => {
  it('sends the bearer token and a generated idempotency key, and keeps that key across retries', async () => {
    const { client, requests } = setup([
      connectionError(),
      { status: 503, body: contractError('UNAVAILABLE'), headers: { 'retry-after': '0' } },
      { status: 200, body: VIEW },
    ]);

    const started = await client.start({ definition: 'checkout', input: { total: 1 } });

    expect(started).toEqual({ transaction: VIEW, created: false, idempotencyKey: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(requests).toHaveLength(3);
    for (const request of requests) {
      expect(request).toMatchObject({ url: `${BASE}/v1/transactions`, method: 'POST', headers: { authorization: 'Bearer secret-token' } });
      expect(request.body).toEqual({ definition: 'checkout', input: { total: 1 }, idempotencyKey: started.idempotencyKey });
    }
  });

  it('passes waitMs as a query parameter and a given idempotency key unchanged', async () => {
    const { client, requests } = setup([{ status: 201, body: VIEW }]);
    expect(await client.start({ definition: 'checkout', idempotencyKey: 'order-1', waitMs: 500 })).toMatchObject({
      created: true,
      idempotencyKey: 'order-1',
    });
    expect(requests[0]).toMatchObject({ url: `${BASE}/v1/transactions?waitMs=500`, body: { idempotencyKey: 'order-1' } });
  });

  it('waits as long as Retry-After says before repeating a 429', async () => {
    const { client, requests } = setup([
      { status: 429, body: contractError('UNAVAILABLE'), headers: { 'retry-after': '1' } },
      { status: 200, body: VIEW },
    ]);
    const started = Date.now();
    expect(await client.get('tx-1')).toEqual(VIEW);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(requests.map((r) => r.url)).toEqual([`${BASE}/v1/transactions/tx-1`, `${BASE}/v1/transactions/tx-1`]);
  });

  it('gives up after the configured retries with the last error', async () => {
    const unavailable = { status: 503, body: contractError('UNAVAILABLE', 'database unreachable'), headers: { 'retry-after': '0' } };
    const { client, requests } = setup([unavailable, unavailable, unavailable], 2);
    await expect(client.get('tx-1')).rejects.toMatchObject({ status: 503, code: 'UNAVAILABLE', message: 'database unreachable' });
    expect(requests).toHaveLength(3);
  });

  it('does not repeat what the API does not ask to repeat: a 5xx from a proxy, a contract 4xx', async () => {
    const { client, requests } = setup([
      { status: 502, body: 'Bad Gateway' },
      { status: 404, body: contractError('DEFINITION_NOT_FOUND', 'no definition "nope"') },
    ]);
    const gateway = await client.get('tx-1').catch((e: unknown) => e);
    expect(gateway).toBeInstanceOf(AccordApiError);
    expect(gateway).toMatchObject({ status: 502, code: 'HTTP_502', message: 'HTTP 502: Bad Gateway' });
    await expect(client.getDefinition('nope')).rejects.toMatchObject({
      name: 'AccordApiError',
      status: 404,
      code: 'DEFINITION_NOT_FOUND',
      message: 'no definition "nope"',
      details: [{ path: 'x', message: 'bad' }],
    });
    expect(requests).toHaveLength(2);
  });

  it('does not repeat a request that timed out', async () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    const { client, requests } = setup([timeout, { status: 200, body: VIEW }]);
    await expect(client.get('tx-1')).rejects.toBe(timeout);
    expect(requests).toHaveLength(1);
  });

  it('sends abort and operator actions once, even on a 503 or a connection error', async () => {
    const { client, requests } = setup([
      { status: 503, body: contractError('UNAVAILABLE'), headers: { 'retry-after': '0' } },
      connectionError(),
    ]);
    await expect(client.abort('tx-1')).rejects.toMatchObject({ status: 503 });
    await expect(client.admin.resolve('tx-1', 'by hand')).rejects.toThrow('fetch failed');
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `POST ${BASE}/v1/transactions/tx-1/abort`,
      `POST ${BASE}/v1/admin/transactions/tx-1/resolve`,
    ]);
  });

  it('iterates over every page of a listing', async () => {
    const { client, requests } = setup([
      { status: 200, body: { items: [{ id: 'a' }, { id: 'b' }], nextCursor: 'c1' } },
      { status: 200, body: { items: [{ id: 'c' }], nextCursor: null } },
    ]);
    const ids: string[] = [];
    for await (const summary of client.listAll({ status: 'STUCK', limit: 2 })) ids.push(summary.id);
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(requests.map((r) => r.url)).toEqual([
      `${BASE}/v1/transactions?status=STUCK&limit=2`,
      `${BASE}/v1/transactions?status=STUCK&limit=2&cursor=c1`,
    ]);
  });
});
