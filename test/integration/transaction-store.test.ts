import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { DataSource } from 'typeorm';
import { createRedis, queuePrefix, StepQueue, STEP_QUEUE, stepJobId, Sweeper } from '@accord/dispatch';
import { createDataSource, runMigrations, SweepStore, TransactionStore, type StepWrite, type TransactionRecord, type Transition } from '@accord/persistence';
import { createTestDatabase, queuePrefixFor, redisUrl } from '../support/test-env';

const step = (name: string, over: Partial<StepWrite> = {}): StepWrite => ({
  name,
  status: 'RUNNING',
  phase: 'action',
  attempt: 1,
  attemptBase: 0,
  dueAt: Date.now() - 60_000,
  mayHaveApplied: false,
  input: { n: 1 },
  output: null,
  lastError: null,
  leaseMs: 5000,
  preclaim: false,
  ...over,
});

/** The action call `attempt` of `step` in transaction `id`. */
const call = (id: string, step: string, attempt: number) => ({ transactionId: id, step, phase: 'action' as const, attempt });

describe(TransactionStore.name, () => {
  let db: DataSource;
  let store: TransactionStore;

  const insertInto = async (target: TransactionStore, steps: StepWrite[]) => {
    const id = randomUUID();
    await target.insert({
      id, definitionName: null, definitionVersion: null,
      spec: { type: 'saga', steps: [] }, type: 'saga', status: 'RUNNING', direction: 'forward',
      input: {}, deadlineAt: null, traceparent: null, tracestate: null, steps, idempotency: null,
    });
    return id;
  };
  const insert = (steps: StepWrite[]) => insertInto(store, steps);

  const transition = (id: string, expectedVersion: number, steps: StepWrite[]): Transition => ({
    id, expectedVersion, status: 'RUNNING', direction: 'forward', pivotPassed: false, finished: false, notify: false,
    rollbackReason: null, stuckReason: null, newInput: null, steps, attempt: null, audit: null, outbox: [],
  });

  /** Commits `t` as decided from the transaction as it is now. */
  const commit = async (t: Transition) => (await store.commit(t, (await store.load(t.id))!)) !== null;

  beforeAll(async () => {
    db = createDataSource({ url: await createTestDatabase('store'), poolSize: 10 });
    await db.initialize();
    await runMigrations(db);
    store = new TransactionStore(db);
  });

  afterAll(async () => {
    await db.destroy();
  });

  it('lets exactly one of many concurrent transitions from the same version commit', async () => {
    const id = await insert([step('a'), step('b')]);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => commit(transition(id, 0, [step(i % 2 ? 'a' : 'b', { status: 'SUCCEEDED', dueAt: null, output: { i } })]))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const record = await store.load(id);
    expect(record!.version).toBe(1);
    expect(record!.steps.filter((s) => s.status === 'SUCCEEDED')).toHaveLength(1);
  });

  it('tells the notify observer of settling commits, batched or alone, with the transaction exactly as committed', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, () => insert([step('a'), step('b')])));
    const delivered = new Map<string, TransactionRecord>();
    const abandoned: string[] = [];
    store.notifyObserver = { expect: () => undefined, deliver: (r) => delivered.set(r.id, r), abandon: (id) => abandoned.push(id) };
    try {
      const bases = await Promise.all(ids.map(async (id) => (await store.claim(call(id, 'a', 1)))!.record));
      // More commits than statements in flight: most share a batch statement.
      const results = await Promise.all(
        bases.map((base, i) =>
          store.commit(
            {
              ...transition(base.id, 0, [step('a', { status: 'SUCCEEDED', phase: null, dueAt: null, output: { i, nested: { z: 1, a: [1, 2] } } }), step('b', { attempt: 2, preclaim: true })]),
              status: 'COMPLETED', finished: true, notify: true,
            },
            base,
          ),
        ),
      );
      // The pre-claimed step's claim and lease included.
      for (const [i, id] of ids.entries()) {
        const loaded = await store.load(id);
        expect(loaded!.steps[1]).toMatchObject({ claim: 1, preclaimed: true });
        expect(delivered.get(id)).toEqual(loaded);
        expect(results[i]).toEqual(loaded);
      }
      // A lost race delivers nothing.
      expect(await store.commit({ ...transition(ids[0], 0, []), notify: true }, bases[0])).toBeNull();
      expect(abandoned).toEqual([ids[0]]);
    } finally {
      store.notifyObserver = null;
    }
  });

  it('answers a claim with the transaction as Postgres has it, whether this replica held it or another replica moved it meanwhile', async () => {
    const other = new TransactionStore(db);
    const id = await insert([step('a'), step('b', { status: 'PENDING', phase: null, attempt: 0, dueAt: null })]);
    // This replica inserted it, so it holds version 0: the claim comes back without the record's heavy parts.
    const first = (await store.claim(call(id, 'a', 1)))!;
    expect(first.record).toEqual(await store.load(id));
    expect(first.record.steps[0]).toMatchObject({ claim: 1, leaseUntil: expect.any(Number) });
    // Another replica moves it on (version 1): this one still holds version 0, and must not answer from it.
    const base = (await other.load(id))!;
    expect(await other.commit(transition(id, 0, [step('a', { attempt: 2, output: { by: 'other' } })]), base)).not.toBeNull();
    const second = (await store.claim(call(id, 'a', 2)))!;
    expect(second.record.version).toBe(1);
    expect(second.record).toEqual(await store.load(id));
  });

  it('lets the job of a pre-claimed call use its claim as it is once, and take it over later as a call that may have been sent', async () => {
    const id = await insert([step('a', { preclaim: true, leaseMs: 60_000 })]);
    // nobody else claims it while its lease lives
    expect(await store.claim(call(id, 'a', 1))).toBeNull();
    const fresh = await store.claim(call(id, 'a', 1), { claim: 1, useBy: Date.now() + 1000 });
    expect(fresh).toMatchObject({ claim: 1, resumed: false });
    // past its use-by time, the first delivery claims over it in Postgres: never sent under it
    expect(await store.claim(call(id, 'a', 1), { claim: 1, useBy: Date.now() - 1 })).toMatchObject({ claim: 2, resumed: false });
    const loaded = await store.load(id);
    expect(loaded!.steps[0]).toMatchObject({ claim: 2, preclaimed: false });
    // claimed over: the carried claim is spent, whoever carries it
    expect(await new TransactionStore(db).claim(call(id, 'a', 1), { claim: 1, useBy: Date.now() + 1000 })).toBeNull();
    expect(await store.claim(call(id, 'a', 1), { claim: 1 })).toBeNull();

    const redelivered = await insert([step('a', { preclaim: true, leaseMs: 60_000 })]);
    // a job delivered again (or re-created by the sweeper) carries no use-by: its call may have been sent
    expect(await new TransactionStore(db).claim(call(redelivered, 'a', 1), { claim: 1 })).toMatchObject({ claim: 2, resumed: true });
  });

  it('grants a claim once while its lease lives, and bumps the fencing token on every claim', async () => {
    const id = await insert([step('a', { leaseMs: 200 })]);
    const claims = await Promise.all(Array.from({ length: 10 }, () => store.claim(call(id, 'a', 1))));
    const granted = claims.filter((c) => c !== null);
    expect(granted).toHaveLength(1);
    expect(granted[0].claim).toBe(1);
    expect(granted[0].resumed).toBe(false);
    expect(granted[0].record.steps[0].input).toEqual({ n: 1 });
    await new Promise((r) => setTimeout(r, 300));
    // the first holder's lease ran out: whoever takes the call over is told it may have been sent
    expect(await store.claim(call(id, 'a', 1))).toMatchObject({ claim: 2, resumed: true });
    expect(await store.claim(call(id, 'a', 2))).toBeNull();
  });

  it('tells a claim whether its call was taken before, also in a batch of claims, and forgets it for the next call', async () => {
    const names = Array.from({ length: 8 }, (_, i) => `s${i}`);
    const id = await insert(names.map((n) => step(n, { leaseMs: 1 })));
    await store.claim(call(id, 's7', 1));
    await new Promise((r) => setTimeout(r, 20));
    // more claims than statements in flight: the last ones share a batch statement
    const claims = await Promise.all(names.map((n) => store.claim(call(id, n, 1))));
    expect(claims.map((c) => c!.resumed)).toEqual([false, false, false, false, false, false, false, true]);
    expect(await commit(transition(id, 0, [step('s7', { attempt: 2 })]))).toBe(true);
    expect((await store.claim(call(id, 's7', 2)))!.resumed).toBe(false);
  });

  it('refuses a transition carrying a result whose claim was superseded (fencing), and applies the current one with its attempt row', async () => {
    const id = await insert([step('a', { leaseMs: 1 })]);
    const first = (await store.claim(call(id, 'a', 1)))!;
    await new Promise((r) => setTimeout(r, 20));
    const second = (await store.claim(call(id, 'a', 1)))!;
    expect(second.claim).toBe(first.claim + 1);
    const attempt = (claim: number) => ({
      transactionId: id, step: 'a', phase: 'action' as const, attempt: 1, claim, startedAt: Date.now(), latencyMs: 3,
      outcome: 'ok', statusCode: 200, error: null, request: { url: 'http://x' }, applied: true, budgetExhausted: false, worker: 'test',
    });
    const done = [step('a', { status: 'SUCCEEDED', dueAt: null })];
    expect(await commit({ ...transition(id, 0, done), attempt: attempt(first.claim) })).toBe(false);
    expect(await commit({ ...transition(id, 0, done), attempt: attempt(second.claim) })).toBe(true);
    const log = await store.attempts(id);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ step: 'a', phase: 'action', outcome: 'ok', status_code: 200, applied: true });
  });

  it('clears the lease when a transition moves the step to another call', async () => {
    const id = await insert([step('a')]);
    await store.claim(call(id, 'a', 1));
    expect((await store.load(id))!.steps[0].leaseUntil).not.toBeNull();
    expect(await commit(transition(id, 0, [step('a', { attempt: 2 })]))).toBe(true);
    expect((await store.load(id))!.steps[0].leaseUntil).toBeNull();
    expect(await store.claim(call(id, 'a', 2))).not.toBeNull();
  });

  it('sweeps unleased calls first: pre-claimed calls whose jobs are on their way do not crowd them out of a batch', async () => {
    const sweepDb = createDataSource({ url: await createTestDatabase('sweep_order'), poolSize: 4 });
    await sweepDb.initialize();
    await runMigrations(sweepDb);
    const sweepStore = new TransactionStore(sweepDb);
    const prefix = queuePrefixFor('sweep_order');
    const redis = createRedis(redisUrl());
    const queue = new StepQueue(redis, prefix);
    const inspect = new Queue(STEP_QUEUE, { connection: redis, prefix: queuePrefix(prefix) });
    // due longer ago, pre-claimed, and its job exists (being made)
    const inFlight = await insertInto(sweepStore, [step('a', { preclaim: true, leaseMs: 60_000, dueAt: Date.now() - 120_000 })]);
    await queue.enqueue([{ ...call(inFlight, 'a', 1), dueAt: 0, claim: { claim: 1 } }]);
    const owed = await insertInto(sweepStore, [step('a')]);
    const sweeper = new Sweeper(new SweepStore(sweepDb), queue, {
      intervalMs: 1000, graceMs: 0, batchSize: 1, onDeadline: () => Promise.resolve(), onError: (error) => { throw error; },
    });
    try {
      expect(await sweeper.sweepOnce()).toMatchObject({ requeued: 1 });
      expect(await inspect.getJob(stepJobId(call(owed, 'a', 1)))).toBeDefined();
    } finally {
      await inspect.obliterate({ force: true });
      await inspect.close();
      await queue.close();
      redis.disconnect();
      await sweepDb.destroy();
    }
  });

  it('re-creates the job of every owed call from Postgres after Redis lost it (sweeper)', async () => {
    // A database of its own: a lease of another test here running out
    // between the two sweeps would be owed anew, and rightly requeued.
    const sweepDb = createDataSource({ url: await createTestDatabase('sweeper'), poolSize: 4 });
    await sweepDb.initialize();
    await runMigrations(sweepDb);
    const sweepStore = new TransactionStore(sweepDb);
    const insert = (steps: StepWrite[]) => insertInto(sweepStore, steps);
    const prefix = queuePrefixFor('sweeper');
    const redis = createRedis(redisUrl());
    const queue = new StepQueue(redis, prefix);
    const inspect = new Queue(STEP_QUEUE, { connection: redis, prefix: queuePrefix(prefix) });
    const owed = await insert([step('a'), step('b', { status: 'PENDING', phase: null, attempt: 0, dueAt: null })]);
    const leased = await insert([step('a')]);
    await sweepStore.claim(call(leased, 'a', 1));
    // claimed for a job Redis lost: its lease lives, but no worker holds it
    const preclaimed = await insert([step('a', { preclaim: true, leaseMs: 60_000 })]);
    const deadlines: string[] = [];
    const sweeper = new Sweeper(new SweepStore(sweepDb), queue, {
      intervalMs: 1000,
      graceMs: 0,
      onDeadline: (id) => {
        deadlines.push(id);
        return Promise.resolve();
      },
      onError: (error) => {
        throw error;
      },
    });
    try {
      const report = await sweeper.sweepOnce();
      expect(report.requeued).toBeGreaterThanOrEqual(1);
      const ids = (await inspect.getJobs(['wait', 'delayed', 'prioritized'])).map((j) => j.id);
      expect(ids).toContain(stepJobId(call(owed, 'a', 1)));
      expect(ids).not.toContain(stepJobId(call(owed, 'b', 1)));
      expect(ids.filter((j) => j?.startsWith(leased))).toEqual([]);
      const recreated = await inspect.getJob(stepJobId(call(preclaimed, 'a', 1)));
      // it carries the claim, to take it over, with no use-by: it may have been sent
      expect(recreated?.data).toMatchObject({ k: 1 });
      expect(recreated?.data.u).toBeUndefined();
      const before = await inspect.count();
      expect((await sweeper.sweepOnce()).requeued).toBe(0);
      expect(await inspect.count()).toBe(before);
    } finally {
      await inspect.obliterate({ force: true });
      await inspect.close();
      await queue.close();
      redis.disconnect();
      await sweepDb.destroy();
    }
  });
});
