import type { Spec } from '@accord/contracts';
import { initialStateFor, planSpec, type CallCommand, type Plan } from '@accord/core';
import type { StepQueue } from '@accord/dispatch';
import type { StepRecord, Transition, TransactionRecord, TransactionStore } from '@accord/persistence';
import { EngineHooks } from './engine.hooks';
import type { PlanResolver } from './plan.resolver';
import { TransitionRunner, type EventSource } from './transition.runner';

// ---- fakes -------------------------------------------------------------------

const SPEC: Spec = {
  type: 'saga',
  retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10, jitter: false },
  steps: [
    { name: 'a', dependsOn: [], action: { url: 'http://p/a' }, compensation: { url: 'http://p/a/undo' } },
    { name: 'b', dependsOn: [], action: { url: 'http://p/b' } },
  ],
};
const PLAN = (planSpec(SPEC) as { ok: true; value: Plan }).value;

/** A started transaction of SPEC as the store would load it (both actions owed). */
function startedRecord(): TransactionRecord {
  const state = initialStateFor(PLAN, 'tx-1', { n: 1 }, 0);
  const steps: StepRecord[] = state.steps.map((s) => ({
    ...s, status: 'RUNNING', phase: 'action', attempt: 1, dueAt: 0, input: { n: 1 }, claim: 1, leaseUntil: null, preclaimed: false, updatedAt: '',
  }));
  return {
    id: 'tx-1', definitionName: null, definitionVersion: null, spec: SPEC, type: 'saga', status: 'RUNNING',
    direction: 'forward', pivotPassed: false, input: { n: 1 }, deadlineAt: null, rollbackReason: null, stuckReason: null, version: 1,
    traceparent: null, tracestate: null, createdAt: '', updatedAt: '', finishedAt: null, steps,
  };
}

/** The store's part the runner uses: loads the current record, commits by compare-and-set on the version. */
class FakeStore {
  current = startedRecord();
  loads = 0;
  /** Every commit statement sent, lost races included. */
  sent = 0;
  readonly commits: Transition[] = [];
  readonly logged: unknown[] = [];
  /** Commits to refuse as lost races before accepting one (another replica won). */
  losing = 0;

  load(): Promise<TransactionRecord> {
    this.loads++;
    return Promise.resolve(structuredClone(this.current));
  }

  async commit(t: Transition): Promise<TransactionRecord | null> {
    this.sent++;
    await Promise.resolve();
    if (this.losing > 0) {
      this.losing--;
      this.current = { ...this.current, version: this.current.version + 1 };
      return null;
    }
    if (t.expectedVersion !== this.current.version) return null;
    this.commits.push(t);
    const steps = this.current.steps.map((s) => {
      const w = t.steps.find((x) => x.name === s.name);
      if (!w) return s;
      const { leaseMs: _leaseMs, preclaim, ...state } = w;
      return { ...s, ...state, ...(preclaim ? { claim: s.claim + 1, preclaimed: true } : {}) };
    });
    this.current = {
      ...this.current,
      status: t.status,
      direction: t.direction,
      pivotPassed: t.pivotPassed,
      rollbackReason: t.rollbackReason,
      stuckReason: t.stuckReason,
      input: t.newInput ? t.newInput.value : this.current.input,
      version: t.expectedVersion + 1,
      steps,
    };
    return this.current;
  }

  logAttempt(a: unknown): Promise<void> {
    this.logged.push(a);
    return Promise.resolve();
  }
}

class RecordingHooks extends EngineHooks {
  readonly races: number[] = [];
  statusChanged(): void {}
  enqueueFailed(): void {}
  attemptFinished(): void {}
  transactionStarted(): void {}
  announcementSent(): void {}
  localFailure(): void {}
  racesRepeated(_record: unknown, races: number): void {
    this.races.push(races);
  }
}

const setup = (options: { announceStuck?: boolean } = {}) => {
  const store = new FakeStore();
  const enqueued: CallCommand[] = [];
  const queue = {
    enqueue: (calls: CallCommand[]) => {
      enqueued.push(...calls);
      return Promise.resolve();
    },
    expedite: () => Promise.resolve(),
  };
  const plans = { resolve: () => Promise.resolve(PLAN) };
  const hooks = new RecordingHooks();
  const runner = new TransitionRunner(
    store as unknown as TransactionStore,
    queue as unknown as StepQueue,
    plans as unknown as PlanResolver,
    { leaseMarginMs: 100, announceStuck: options.announceStuck ?? false },
    hooks,
  );
  return { store, enqueued, hooks, runner };
};

/** The answer to action attempt 1 of `step`. */
const answer = (step: string, outcome: { type: 'ok'; output: unknown } | { type: 'refused'; status: number }): EventSource => () => ({
  event: { type: 'result', step, phase: 'action', attempt: 1, outcome },
});

// ---- tests -------------------------------------------------------------------

describe(TransitionRunner.name, () => {
  it('decides from the known record without loading it, commits, then enqueues the commands', async () => {
    const { store, enqueued, runner } = setup();
    const outcome = await runner.run('tx-1', answer('a', { type: 'ok', output: 1 }), startedRecord());
    expect(outcome.kind).toBe('applied');
    expect(store.loads).toBe(0);
    expect(store.commits).toHaveLength(1);
    expect(enqueued).toEqual([]);
  });

  it('hands the job of a call due at once the claim its commit took, usable for half the lease margin', async () => {
    const { store, enqueued, runner } = setup();
    await runner.run('tx-1', answer('a', { type: 'ok', output: 1 }));
    const before = Date.now();
    await runner.run('tx-1', answer('b', { type: 'refused', status: 409 }));
    expect(store.commits[1].steps.filter((w) => w.preclaim).map((w) => [w.name, w.phase])).toEqual([['a', 'compensation']]);
    expect(enqueued).toEqual([expect.objectContaining({ step: 'a', phase: 'compensation', claim: { claim: 2, useBy: expect.any(Number) as number } })]);
    const { useBy } = (enqueued[0] as unknown as { claim: { useBy: number } }).claim;
    expect(useBy - before).toBeGreaterThanOrEqual(50);
    expect(useBy - Date.now()).toBeLessThanOrEqual(50);
  });

  it('reloads and decides again after a lost race, until it commits, and backs off when it keeps losing', async () => {
    const { store, runner, hooks } = setup();
    store.losing = 10;
    const sources: number[] = [];
    const outcome = await runner.run('tx-1', (record) => (sources.push(record.version), answer('a', { type: 'ok', output: 1 })(record)));
    expect(outcome.kind).toBe('applied');
    expect(store.commits).toHaveLength(1);
    // every attempt decided from a fresh load, never gave up
    expect(sources).toHaveLength(11);
    expect(hooks.races.length).toBeGreaterThan(0);
  });

  it('asks again from a fresh load when nothing applies to the known record, and skips only on a fresh one', async () => {
    const { store, runner } = setup();
    let calls = 0;
    const outcome = await runner.run('tx-1', () => (calls++, null), startedRecord());
    expect(outcome.kind).toBe('skipped');
    expect(calls).toBe(2);
    expect(store.loads).toBe(1);
  });

  it('logs the attempt of a rejected result as not applied, and changes nothing', async () => {
    const { store, runner } = setup();
    const attempt = { transactionId: 'tx-1', step: 'a', phase: 'action', attempt: 7 } as never;
    const outcome = await runner.run('tx-1', () => ({
      event: { type: 'result', step: 'a', phase: 'action', attempt: 7, outcome: { type: 'ok', output: null } },
      attempt,
    }));
    expect(outcome.kind).toBe('rejected');
    expect(store.commits).toEqual([]);
    expect(store.logged).toEqual([{ ...(attempt as object), applied: false }]);
  });

  it('lets the transitions of one transaction take turns: the later one starts from a fresh load, not the stale known record', async () => {
    const { store, runner } = setup();
    const known = startedRecord();
    const [first, second] = await Promise.all([
      runner.run('tx-1', answer('a', { type: 'ok', output: 1 }), known),
      runner.run('tx-1', answer('b', { type: 'ok', output: 2 }), known),
    ]);
    expect([first.kind, second.kind]).toEqual(['applied', 'applied']);
    // no lost race: the second waited for the first and loaded once
    expect(store.commits.map((c) => c.expectedVersion)).toEqual([1, 2]);
    expect(store.sent).toBe(2);
    expect(store.loads).toBe(1);
    expect(store.current.status).toBe('COMPLETED');
  });

  it('writes the stuck announcement with the transition that makes it STUCK, when asked to', async () => {
    for (const announceStuck of [true, false]) {
      const { store, runner } = setup({ announceStuck });
      store.current = { ...startedRecord(), status: 'COMPENSATING', direction: 'backward' };
      store.current.steps = [
        { ...store.current.steps[0], status: 'COMPENSATING', phase: 'compensation', attempt: 2, attemptBase: 0 },
        { ...store.current.steps[1], status: 'FAILED', dueAt: null },
      ];
      store.current.rollbackReason = { step: 'b', phase: 'action', message: 'refused' };
      await runner.run('tx-1', () => ({
        event: { type: 'result', step: 'a', phase: 'compensation', attempt: 2, outcome: { type: 'misconfigured', status: 400 }, error: 'HTTP 400' },
      }));
      const [commit] = store.commits;
      expect(commit.status).toBe('STUCK');
      expect(commit.stuckReason).toEqual({ step: 'a', phase: 'compensation', message: 'HTTP 400' });
      expect(commit.outbox).toEqual(
        announceStuck
          ? [{ topic: 'transaction.stuck', payload: expect.objectContaining({ transaction: expect.objectContaining({ id: 'tx-1', step: 'a', reason: 'HTTP 400' }) }) }]
          : [],
      );
    }
  });

  it('adds what an operator action changed to its audit entry', async () => {
    const { store, runner } = setup();
    store.current = { ...startedRecord(), status: 'STUCK', pivotPassed: true };
    store.current.steps = store.current.steps.map((s) => ({ ...s, status: 'STUCK', dueAt: null }));
    store.current.stuckReason = { step: 'a', phase: 'action', message: 'x' };
    await runner.run('tx-1', () => ({
      event: { type: 'retry', input: { n: 2 } },
      audit: { actor: 'ops', action: 'retry', target: 'tx-1', note: 'fixed' },
    }));
    const [commit] = store.commits;
    expect(commit.newInput).toEqual({ value: { n: 2 } });
    expect(commit.audit).toEqual({
      actor: 'ops', action: 'retry', target: 'tx-1', note: 'fixed',
      details: { before: { status: 'STUCK', input: { n: 1 } }, after: { status: 'RUNNING', input: { n: 2 } } },
    });
  });
});
