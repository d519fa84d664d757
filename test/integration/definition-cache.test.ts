import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  createDataSource, DefinitionStore, PgNotifications, runMigrations, TransactionStore, TransactionWaiters, type StepWrite,
} from '@accord/persistence';
import { createTestDatabase } from '../support/test-env';

const until = async (probe: () => Promise<boolean>, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('definition cache and in-process delivery to waiters', () => {
  let url: string;
  let db: DataSource;
  const replicas: { definitions: DefinitionStore; waiters: TransactionWaiters; notifications: PgNotifications }[] = [];

  beforeAll(async () => {
    url = await createTestDatabase('defcache');
    db = createDataSource({ url, poolSize: 4 });
    await db.initialize();
    await runMigrations(db);
    for (let i = 0; i < 2; i++) {
      const definitions = new DefinitionStore(db);
      const waiters = new TransactionWaiters();
      const notifications = new PgNotifications(url, [waiters, definitions.cacheSubscriber()]);
      await notifications.start();
      replicas.push({ definitions, waiters, notifications });
    }
  });

  afterAll(async () => {
    for (const r of replicas) await r.notifications.stop();
    await db.destroy();
  });

  it('serves the latest version from the cache and drops it when any replica registers a newer one', async () => {
    const [a, b] = replicas;
    const body = (n: number) => ({ name: 'cached', type: 'saga', steps: [], n });
    await a.definitions.register('cached', 'saga', body(1), 'h1');
    expect((await a.definitions.latest('cached'))!.version).toBe(1);
    expect((await b.definitions.latest('cached'))!.version).toBe(1);
    // The registering replica sees its own version at once, the other one after the NOTIFY.
    await a.definitions.register('cached', 'saga', body(2), 'h2');
    expect((await a.definitions.latest('cached'))!.version).toBe(2);
    await until(async () => (await b.definitions.latest('cached'))!.version === 2);
    // And a registration on b while a holds v2 in cache does not reuse a stale version number.
    expect((await b.definitions.register('cached', 'saga', body(3), 'h3')).record.version).toBe(3);
    await until(async () => (await a.definitions.latest('cached'))!.version === 3);
  });

  it('hands a waiter on the committing replica the committed transaction', async () => {
    const store = new TransactionStore(db);
    const [{ waiters }] = replicas;
    store.notifyObserver = waiters;
    const id = randomUUID();
    const step: StepWrite = {
      name: 'a', status: 'RUNNING', phase: 'action', attempt: 1, attemptBase: 0, dueAt: Date.now(), mayHaveApplied: false,
      input: { n: 1 }, output: null, lastError: null, leaseMs: 5000, preclaim: false,
    };
    const inserted = await store.insert({
      id, definitionName: null, definitionVersion: null, spec: { type: 'saga', steps: [] }, type: 'saga',
      status: 'RUNNING', direction: 'forward', input: { x: 1 }, deadlineAt: null, traceparent: null, tracestate: null, steps: [step], idempotency: null,
    });
    expect(inserted).toEqual(await store.load(id));
    const waiting = waiters.wait(id, 5000);
    const committed = await store.commit({
      id, expectedVersion: 0, status: 'COMPLETED', direction: 'forward', pivotPassed: false, finished: true, notify: true,
      steps: [{ ...step, status: 'SUCCEEDED', phase: null, dueAt: null, output: { ok: true } }], attempt: null, audit: null, rollbackReason: null, stuckReason: null, newInput: null, outbox: [],
    }, inserted!);
    expect(committed).not.toBeNull();
    const delivered = await waiting;
    expect(delivered).toEqual(await store.load(id));
    expect(delivered!.status).toBe('COMPLETED');
    // A lost race delivers nothing.
    expect(
      await store.commit({
        id, expectedVersion: 0, status: 'COMPLETED', direction: 'forward', pivotPassed: false, finished: true, notify: true,
        steps: [], attempt: null, audit: null, rollbackReason: null, stuckReason: null, newInput: null, outbox: [],
      }, inserted!),
    ).toBeNull();
  });
});
