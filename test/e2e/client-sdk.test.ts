import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccordApiError, AccordClient, type DefinitionBody, type TransactionView } from '@accord/client';
import { request } from 'undici';
import { apiDocumentOf } from '../support/api-document-check';
import { ADMIN_TOKEN, startCoordinator, type CoordinatorProcess } from '../support/coordinator-process';
import { calls, script, startParticipant, type ParticipantProcess } from '../support/participant-process';

const isStart = (req: IncomingMessage): boolean =>
  req.method === 'POST' && new URL(req.url ?? '/', 'http://proxy').pathname === '/v1/transactions';

/** Forwards to the coordinator, checking each answer against its OpenAPI
 * document; can forward a request and then cut the connection instead of
 * answering, as a network failure after the server did the work would. */
class LossyProxy {
  readonly startBodies: unknown[] = [];
  /** Answers that did not match the document. */
  readonly undocumented: string[] = [];
  private dropStarts = 0;
  private server!: Server;

  constructor(private readonly target: string) {}

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.forward(req).then(
        (answer) => {
          if (isStart(req) && this.dropStarts > 0) {
            this.dropStarts--;
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.status, answer.body === '' ? {} : { 'content-type': 'application/json' }).end(answer.body);
        },
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` starts reach the coordinator but their answers are lost. */
  loseStartAnswers(count: number): void {
    this.dropStarts = count;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage): Promise<{ status: number; body: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (isStart(req)) this.startBodies.push(JSON.parse(body));
    const headers = Object.fromEntries(
      ['authorization', 'content-type', 'idempotency-key'].flatMap((name) => (req.headers[name] ? [[name, String(req.headers[name])]] : [])),
    );
    const res = await request(`${this.target}${req.url}`, { method: req.method as 'POST', headers, body: body || undefined });
    const text = await res.body.text();
    const answer = { status: res.statusCode, body: text === '' ? null : (JSON.parse(text) as unknown), headers: res.headers };
    const problem = (await apiDocumentOf(this.target)).problem(req.method ?? 'GET', req.url ?? '/', answer);
    if (problem) this.undocumented.push(`${req.method} ${req.url}: ${problem}`);
    return { status: res.statusCode, body: text };
  }
}

/** Resolves the AccordApiError `promise` rejects with. */
async function apiError(promise: Promise<unknown>): Promise<AccordApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AccordApiError);
  return error as AccordApiError;
}

describe(AccordClient.name, () => {
  let coordinator: CoordinatorProcess;
  let participant: ParticipantProcess;
  let proxy: LossyProxy;
  let client: AccordClient;
  const retry = { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 3, jitter: false };

  const saga = (name: string, steps: string[] = ['reserve', 'charge']): DefinitionBody => ({
    name,
    type: 'saga',
    retry,
    steps: steps.map((step) => ({
      name: step,
      action: { url: `${participant.url}/${name}/${step}` },
      compensation: { url: `${participant.url}/${name}/${step}/undo` },
    })),
  });

  /** A saga whose second step is refused and whose first step's compensation keeps failing. */
  const stuckSaga = async (name: string): Promise<TransactionView> => {
    await script(participant.url, {
      [`/${name}/charge`]: { default: { status: 409 } },
      [`/${name}/reserve/undo`]: { default: { status: 500 } },
    });
    await client.registerDefinition(saga(name));
    const { transaction } = await client.start({ definition: name, input: {}, waitMs: 20_000 });
    expect(transaction.status).toBe('STUCK');
    return transaction;
  };

  beforeAll(async () => {
    participant = await startParticipant('scriptable');
    coordinator = await startCoordinator({ label: 'client_sdk' });
    proxy = new LossyProxy(coordinator.url);
    client = new AccordClient({ baseUrl: await proxy.listen(), token: ADMIN_TOKEN, retries: 3 });
  }, 60_000);

  afterEach(() => {
    expect(proxy.undocumented).toEqual([]);
  });

  afterAll(async () => {
    await proxy?.close();
    await coordinator?.stop();
    await participant?.stop();
  });

  it('registers a definition, starts it with a wait and sees it COMPLETED', async () => {
    const registered = await client.registerDefinition(saga('checkout'));
    expect(registered).toMatchObject({ created: true, definition: { name: 'checkout', version: 1 } });
    expect(await client.registerDefinition(saga('checkout'))).toMatchObject({ created: false, definition: { version: 1 } });
    expect(await client.getDefinition('checkout')).toMatchObject({ name: 'checkout', version: 1, type: 'saga' });
    expect(await client.getDefinition('checkout', 1)).toEqual(registered.definition);
    expect((await client.listDefinitions()).map((d) => d.name)).toContain('checkout');

    const started = await client.start({ definition: 'checkout', input: { total: 42 }, waitMs: 20_000 });
    expect(started.created).toBe(true);
    expect(started.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.transaction).toMatchObject({
      definition: { name: 'checkout', version: 1 },
      type: 'saga',
      status: 'COMPLETED',
      input: { total: 42 },
      steps: [
        { name: 'reserve', status: 'SUCCEEDED', attempts: 1, output: { path: '/checkout/reserve', input: { total: 42 } } },
        { name: 'charge', status: 'SUCCEEDED', attempts: 1 },
      ],
    });
    expect(await client.get(started.transaction.id)).toEqual(started.transaction);
    const attempts = await client.attempts(started.transaction.id);
    expect(attempts.map((a) => [a.step, a.phase, a.outcome, a.statusCode])).toEqual([
      ['reserve', 'action', 'ok', 200],
      ['charge', 'action', 'ok', 200],
    ]);
  });

  it('retries a start whose answer was lost with the same key, so only one transaction exists', async () => {
    await client.registerDefinition(saga('lost-answer'));
    proxy.loseStartAnswers(1);
    const before = proxy.startBodies.length;

    const started = await client.start({ definition: 'lost-answer', input: { orderId: 'o-1' }, waitMs: 20_000 });

    const sent = proxy.startBodies.slice(before) as Array<{ idempotencyKey: string }>;
    expect(sent).toHaveLength(2);
    expect(sent[1].idempotencyKey).toBe(sent[0].idempotencyKey);
    expect(started).toMatchObject({ created: false, idempotencyKey: sent[0].idempotencyKey, transaction: { status: 'COMPLETED' } });
    const all = await client.list({ definition: 'lost-answer' });
    expect(all.items.map((t) => t.id)).toEqual([started.transaction.id]);
    expect(await calls(participant.url, '/lost-answer/reserve')).toHaveLength(1);
  });

  it('returns the same transaction for a repeated explicit key, and IDEMPOTENCY_KEY_REUSED for a different request', async () => {
    const first = await client.start({ definition: 'checkout', input: { total: 1 }, idempotencyKey: 'order-o-7' });
    const again = await client.start({ definition: 'checkout', input: { total: 1 }, idempotencyKey: 'order-o-7' });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ created: false, transaction: { id: first.transaction.id } });

    const reused = await apiError(client.start({ definition: 'checkout', input: { total: 2 }, idempotencyKey: 'order-o-7' }));
    expect(reused).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
  });

  it('pages through transactions, and iterates over every page newest first', async () => {
    await client.registerDefinition(saga('paging', ['only']));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await client.start({ definition: 'paging', input: { i } })).transaction.id);

    const page = await client.list({ definition: 'paging', limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).toEqual(expect.any(String));

    const seen: string[] = [];
    for await (const summary of client.listAll({ definition: 'paging', limit: 2 })) seen.push(summary.id);
    expect(seen).toEqual([...ids].reverse());
  });

  it('aborts a running saga, and reports INVALID_STATE when aborting it again', async () => {
    await script(participant.url, { '/slow/charge': { responses: [{ status: 200, delayMs: 2000 }] } });
    await client.registerDefinition(saga('slow'));
    const { transaction } = await client.start({ definition: 'slow', input: {} });
    for (let i = 0; i < 100 && (await calls(participant.url, '/slow/charge')).length === 0; i++) await sleep(50);

    expect((await client.abort(transaction.id, 'customer cancelled')).status).toBe('COMPENSATING');
    expect((await client.wait(transaction.id, { timeoutMs: 20_000 })).status).toBe('COMPENSATED');
    expect(await apiError(client.abort(transaction.id))).toMatchObject({ status: 409, code: 'INVALID_STATE' });
  });

  it('lets an operator retry, bulk-retry (dry run first) and resolve STUCK sagas, and audits each action', async () => {
    const fixed = await stuckSaga('stuck-a');
    await script(participant.url, { '/stuck-a/reserve/undo': { default: { status: 200 } } });
    expect((await client.admin.retry(fixed.id, { note: 'inventory fixed' })).id).toBe(fixed.id);
    expect((await client.wait(fixed.id, { timeoutMs: 20_000 })).status).toBe('COMPENSATED');

    const bulk = await stuckSaga('stuck-b');
    await script(participant.url, { '/stuck-b/reserve/undo': { default: { status: 200 } } });
    expect(await client.admin.retryMany({ status: 'STUCK', definition: 'stuck-b', dryRun: true })).toEqual({ matched: 1, retried: [] });
    expect((await client.get(bulk.id)).status).toBe('STUCK');
    expect(await client.admin.retryMany({ status: 'STUCK', definition: 'stuck-b' })).toEqual({ matched: 1, retried: [bulk.id] });
    expect((await client.wait(bulk.id, { timeoutMs: 20_000 })).status).toBe('COMPENSATED');

    const manual = await stuckSaga('stuck-c');
    expect((await client.admin.resolve(manual.id, 'refunded by hand')).status).toBe('RESOLVED');

    const audit = await client.admin.audit({ limit: 3 });
    expect(audit.map((e) => [e.action, e.target])).toEqual([
      ['resolve', manual.id],
      ['retry', bulk.id],
      ['retry', fixed.id],
    ]);
    expect((await client.admin.audit({ transactionId: fixed.id })).map((e) => [e.action, e.note, e.before, e.after])).toEqual([
      ['retry', 'inventory fixed', { status: 'STUCK' }, { status: 'COMPENSATING' }],
    ]);
  });

  /** reserve (pivot) -> charge -> notify; charge keeps answering 400: STUCK going forward. */
  const stuckForward = async (name: string): Promise<TransactionView> => {
    await script(participant.url, { [`/${name}/charge`]: { default: { status: 400 } } });
    await client.registerDefinition({
      name,
      type: 'saga',
      retry,
      steps: [
        { name: 'reserve', pivot: true, action: { url: `${participant.url}/${name}/reserve` } },
        { name: 'charge', input: { amount: '{{input.amount}}' }, action: { url: `${participant.url}/${name}/charge` } },
        { name: 'notify', input: { receipt: '{{steps.charge.output.receipt}}' }, action: { url: `${participant.url}/${name}/notify` } },
      ],
    });
    const { transaction } = await client.start({ definition: name, input: { amount: 1 }, waitMs: 20_000 });
    expect(transaction.status).toBe('STUCK');
    return transaction;
  };

  it('lets an operator skip a stuck step with an output the next step is sent, and retry another with a new input', async () => {
    const skipped = await stuckForward('skip-forward');
    await client.admin.skip(skipped.id, { step: 'charge', output: { receipt: 'r-7' }, note: 'charged at the till' });
    expect(await client.wait(skipped.id, { timeoutMs: 20_000 })).toMatchObject({
      status: 'COMPLETED',
      steps: [{ name: 'reserve' }, { name: 'charge', output: { receipt: 'r-7' } }, { name: 'notify', input: { receipt: 'r-7' } }],
    });

    const corrected = await stuckForward('new-input');
    await script(participant.url, { '/new-input/charge': { default: { status: 200, body: { receipt: 'r-8' } } } });
    await client.admin.retry(corrected.id, { note: 'amount corrected', input: { amount: 2 } });
    const done = await client.wait(corrected.id, { timeoutMs: 20_000 });
    expect(done).toMatchObject({ status: 'COMPLETED', input: { amount: 2 }, steps: [{ name: 'reserve' }, { name: 'charge', input: { amount: 2 } }, {}] });

    const audit = [...(await client.admin.audit({ transactionId: skipped.id })), ...(await client.admin.audit({ transactionId: corrected.id }))];
    expect(audit.map((e) => [e.action, e.note, e.before, e.after])).toEqual([
      ['skip', 'charged at the till', { status: 'STUCK' }, { status: 'RUNNING' }],
      ['retry', 'amount corrected', { status: 'STUCK', input: { amount: 1 } }, { status: 'RUNNING', input: { amount: 2 } }],
    ]);
  });

  it('creates, lists and revokes API keys', async () => {
    const created = await client.admin.createApiKey({ name: 'sdk-reader', scopes: ['transactions:read'] });
    expect(created).toMatchObject({ name: 'sdk-reader', scopes: ['transactions:read'], key: expect.any(String) });
    expect((await client.admin.listApiKeys()).map((k) => k.name)).toContain('sdk-reader');
    expect((await client.admin.listApiKeys()).find((k) => k.id === created.id)).not.toHaveProperty('key');

    const reader = new AccordClient({ baseUrl: coordinator.url, token: created.key, retries: 0 });
    expect(await reader.listDefinitions()).toEqual(expect.any(Array));
    expect(await apiError(reader.admin.listApiKeys())).toMatchObject({ status: 403, code: 'FORBIDDEN' });

    await client.admin.revokeApiKey(created.id);
    expect((await client.admin.listApiKeys()).map((k) => k.id)).not.toContain(created.id);
    expect(await apiError(reader.listDefinitions())).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(await apiError(client.admin.revokeApiKey(created.id))).toMatchObject({ status: 404, code: 'API_KEY_NOT_FOUND' });
  });

  it('throws AccordApiError with the contract code for error answers', async () => {
    expect(await apiError(client.getDefinition('no-such-definition'))).toMatchObject({
      status: 404,
      code: 'DEFINITION_NOT_FOUND',
      message: expect.stringContaining('no-such-definition'),
    });
    expect(await apiError(client.get('00000000-0000-4000-8000-000000000000'))).toMatchObject({ status: 404, code: 'TRANSACTION_NOT_FOUND' });
    expect(await apiError(client.start({ definition: 'no-such-definition', input: {} }))).toMatchObject({
      status: 404,
      code: 'DEFINITION_NOT_FOUND',
    });
    const invalid = await apiError(client.list({ limit: 0 }));
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', details: [expect.objectContaining({ path: 'limit' })] });

    const anonymous = new AccordClient({ baseUrl: coordinator.url });
    expect(await apiError(anonymous.listDefinitions())).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});
