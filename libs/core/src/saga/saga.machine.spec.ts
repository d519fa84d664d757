import type { Plan } from '../definition/plan';
import type { MachineEvent } from '../machine/machine.types';
import { call, compilePlan, MachineDriver, misconfigured, names, ok, refused, unknown, type StepSpecBase } from '../../spec-kit/machine.spec-kit';
import { decideSaga } from './saga.machine';
import { initialSagaState, type SagaState } from './saga.state';

// ---- helpers ---------------------------------------------------------------

type StepSpec = StepSpecBase & { comp?: boolean; pivot?: boolean };

const planOf = (steps: StepSpec[], extra: Record<string, unknown> = {}): Plan =>
  compilePlan(
    'saga',
    steps,
    (s) => ({
      ...(s.pivot ? { pivot: true } : {}),
      action: { url: `http://svc/${s.name}/do` },
      ...(s.comp === false ? {} : { compensation: { url: `http://svc/${s.name}/undo` } }),
    }),
    extra,
  );

/** Drives one saga: keeps the state, the clock and every command issued. */
class Saga extends MachineDriver<SagaState> {
  constructor(plan: Plan, opts: { input?: unknown; deadlineAt?: number | null } = {}) {
    super(decideSaga, initialSagaState, plan, opts);
  }
}

const abc = () => planOf([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);

// ---- tests -------------------------------------------------------------------

describe(decideSaga.name, () => {
  describe('maxParallel', () => {
    const wide = () => planOf(['a', 'b', 'c', 'd'].map((name) => ({ name, dependsOn: [] })), { maxParallel: 2 });

    it('starts at most maxParallel actions, and the next ones as slots free up, in definition order', () => {
      const saga = new Saga(wide());
      expect(names(saga.start())).toEqual(['a:action', 'b:action']);
      expect(names(saga.answer('b', ok()))).toEqual(['c:action']);
      // a retry keeps its slot
      expect(names(saga.answer('a', unknown()))).toEqual(['a:action']);
      expect(names(saga.answer('c', ok()))).toEqual(['d:action']);
      saga.answer('a', ok());
      saga.answer('d', ok());
      expect(saga.state.status).toBe('COMPLETED');
    });

    it('compensates at most maxParallel steps at once', () => {
      const saga = new Saga(planOf([...['a', 'b', 'c'].map((name) => ({ name, dependsOn: [] })), { name: 'd', dependsOn: ['a', 'b', 'c'] }], { maxParallel: 2 }));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.answer('c', ok());
      expect(names(saga.answer('d', refused()))).toEqual(['a:compensation', 'b:compensation']);
      expect(names(saga.answer('a', ok()))).toEqual(['c:compensation']);
    });

    it('defaults to 32 calls in flight', () => {
      const saga = new Saga(planOf(Array.from({ length: 40 }, (_, i) => ({ name: `s${i}`, dependsOn: [] }))));
      expect(saga.start()).toHaveLength(32);
    });
  });

  describe('going forward', () => {
    it('runs sequential steps one after the other and completes', () => {
      const saga = new Saga(abc());
      expect(saga.start()).toEqual([call('a', 'action')]);
      expect(saga.state.status).toBe('RUNNING');
      expect(saga.answer('a', ok({ id: 'a1' }))).toEqual([call('b', 'action')]);
      expect(saga.answer('b', ok({ id: 'b1' }))).toEqual([call('c', 'action')]);
      expect(saga.answer('c', ok())).toEqual([]);
      expect(saga.state.status).toBe('COMPLETED');
      expect(saga.statuses()).toEqual({ a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'SUCCEEDED' });
      expect(saga.step('a').output).toEqual({ id: 'a1' });
      expect(saga.state.steps.every((s) => s.dueAt === null)).toBe(true);
    });

    it('does not modify the state it was given', () => {
      const saga = new Saga(abc());
      saga.start();
      const before = saga.state;
      const snapshot = structuredClone(before);
      saga.answer('a', ok({ id: 1 }));
      expect(before).toEqual(snapshot);
      expect(saga.state).not.toBe(before);
    });

    it('rejects an unknown event type', () => {
      const saga = new Saga(abc());
      saga.start();
      const before = saga.state;
      expect(saga.send({ type: 'call', step: 'a', phase: 'action', attempt: 1 } as unknown as MachineEvent)).toMatchObject({
        rejected: 'invalid-state',
        commands: [],
      });
      expect(saga.state).toBe(before);
    });

    it('refuses to start twice', () => {
      const saga = new Saga(abc());
      saga.start();
      const before = saga.state;
      expect(saga.send({ type: 'start' })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(saga.state).toBe(before);
    });

    it('retries an unknown outcome with backoff as attempts 1, 2, 3 of the same phase', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.now = 1_000;
      expect(saga.answer('a', unknown())).toEqual([call('a', 'action', 2, 1_100)]);
      saga.now = 2_000;
      expect(saga.answer('a', unknown())).toEqual([call('a', 'action', 3, 2_200)]);
      expect(saga.step('a')).toMatchObject({ status: 'RUNNING', attempt: 3, dueAt: 2_200, mayHaveApplied: true });
      expect(saga.answer('a', ok())).toEqual([call('b', 'action', 1, 2_000)]);
      expect(saga.step('a')).toMatchObject({ status: 'SUCCEEDED', attempt: 3, lastError: null });
    });

    it('honours Retry-After when scheduling the next attempt', () => {
      const saga = new Saga(abc());
      saga.start();
      expect(saga.answer('a', unknown(5_000))).toEqual([call('a', 'action', 2, 5_000)]);
    });

    it('renders step input from the transaction input and previous outputs', () => {
      const saga = new Saga(
        planOf([
          { name: 'reserve' },
          { name: 'charge', input: { amount: '{{input.total}}', reservation: '{{steps.reserve.output.id}}', note: 'tx {{transaction.id}}' } },
          { name: 'notify' },
        ]),
        { input: { total: 42 } },
      );
      saga.start();
      expect(saga.step('reserve').input).toEqual({ total: 42 });
      saga.answer('reserve', ok({ id: 'r-1' }));
      expect(saga.step('charge').input).toEqual({ amount: 42, reservation: 'r-1', note: 'tx tx-1' });
      saga.answer('charge', ok());
      expect(saga.step('notify').input).toEqual({ total: 42 });
    });

    it('starts parallel roots together and makes a join step wait for both', () => {
      const saga = new Saga(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }, { name: 'c', dependsOn: ['a', 'b'] }]));
      expect(names(saga.start())).toEqual(['a:action', 'b:action']);
      expect(saga.answer('b', ok())).toEqual([]);
      expect(saga.statuses()).toEqual({ a: 'RUNNING', b: 'SUCCEEDED', c: 'PENDING' });
      expect(names(saga.answer('a', ok()))).toEqual(['c:action']);
      saga.answer('c', ok());
      expect(saga.state.status).toBe('COMPLETED');
    });
  });

  describe('rolling back', () => {
    it('compensates completed steps in reverse order when a step is refused', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      expect(saga.answer('c', refused(409))).toEqual([call('b', 'compensation')]);
      expect(saga.state).toMatchObject({ status: 'COMPENSATING', direction: 'backward' });
      expect(saga.statuses()).toEqual({ a: 'COMPENSATING', b: 'COMPENSATING', c: 'FAILED' });
      expect(saga.answer('b', ok())).toEqual([call('a', 'compensation')]);
      expect(saga.answer('a', ok())).toEqual([]);
      expect(saga.state.status).toBe('COMPENSATED');
      expect(saga.statuses()).toEqual({ a: 'COMPENSATED', b: 'COMPENSATED', c: 'FAILED' });
      expect(names(saga.calls.filter((c) => c.phase === 'compensation'))).toEqual(['b:compensation', 'a:compensation']);
      expect(saga.step('c').lastError).toMatch(/409/);
    });

    it('rolls back on a misconfigured action (other 4xx) and on 422', () => {
      for (const outcome of [misconfigured(404), refused(422)]) {
        const saga = new Saga(abc());
        saga.start();
        saga.answer('a', ok());
        expect(saga.answer('b', outcome)).toEqual([call('a', 'compensation')]);
        expect(saga.statuses()).toEqual({ a: 'COMPENSATING', b: 'FAILED', c: 'SKIPPED' });
      }
    });

    it('compensates a step whose action ran out of retries, since it may have applied', () => {
      const saga = new Saga(planOf([{ name: 'a' }, { name: 'b', maxAttempts: 2 }]));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', unknown());
      expect(saga.answer('b', unknown())).toEqual([call('b', 'compensation')]);
      expect(saga.step('b')).toMatchObject({ status: 'COMPENSATING', mayHaveApplied: true });
      expect(saga.step('b').lastError).toMatch(/retry budget exhausted/);
      expect(saga.answer('b', ok())).toEqual([call('a', 'compensation')]);
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
    });

    it('compensates a step refused after an unknown outcome, since an earlier attempt may have applied', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', unknown());
      expect(saga.answer('a', refused())).toEqual([call('a', 'compensation')]);
    });

    it('does not compensate a step without a compensation endpoint', () => {
      const saga = new Saga(planOf([{ name: 'a' }, { name: 'b', comp: false }, { name: 'c' }]));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      expect(saga.answer('c', refused())).toEqual([call('a', 'compensation')]);
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
      expect(saga.statuses()).toEqual({ a: 'COMPENSATED', b: 'SUCCEEDED', c: 'FAILED' });
      expect(saga.calls.some((c) => c.step === 'b' && c.phase === 'compensation')).toBe(false);
    });

    it('finishes as COMPENSATED at once when nothing needs compensation', () => {
      const saga = new Saga(abc());
      saga.start();
      expect(saga.answer('a', refused())).toEqual([]);
      expect(saga.state.status).toBe('COMPENSATED');
      expect(saga.statuses()).toEqual({ a: 'FAILED', b: 'SKIPPED', c: 'SKIPPED' });
    });

    it('compensates a DAG in reverse dependency order', () => {
      // a -> (b, c) -> d ; e fails after d
      const saga = new Saga(
        planOf([
          { name: 'a' },
          { name: 'b', dependsOn: ['a'] },
          { name: 'c', dependsOn: ['a'] },
          { name: 'd', dependsOn: ['b', 'c'] },
          { name: 'e', dependsOn: ['d'] },
        ]),
      );
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.answer('c', ok());
      saga.answer('d', ok());
      expect(names(saga.answer('e', refused()))).toEqual(['d:compensation']);
      expect(names(saga.answer('d', ok()))).toEqual(['b:compensation', 'c:compensation']);
      expect(saga.answer('c', ok())).toEqual([]);
      expect(saga.step('a').status).toBe('COMPENSATING');
      expect(names(saga.answer('b', ok()))).toEqual(['a:compensation']);
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
    });

    it('waits for transitive dependents even when the step between them needs no compensation', () => {
      // a -> b (no compensation) -> c ; d fails: c must be undone before a
      const saga = new Saga(planOf([{ name: 'a' }, { name: 'b', comp: false }, { name: 'c' }, { name: 'd' }]));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.answer('c', ok());
      expect(names(saga.answer('d', refused()))).toEqual(['c:compensation']);
      expect(names(saga.answer('c', ok()))).toEqual(['a:compensation']);
    });

  });

  describe('rolling back while actions are in flight', () => {
    // a -> (b, c) -> d: b is refused while c's action is still in flight
    const diamond = () =>
      planOf([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['a'] }, { name: 'd', dependsOn: ['b', 'c'] }]);
    const refuseB = () => {
      const saga = new Saga(diamond());
      saga.start();
      saga.answer('a', ok());
      expect(saga.answer('b', refused())).toEqual([]);
      return saga;
    };

    it('awaits an action in flight instead of compensating it, and holds back the steps it depends on', () => {
      const saga = refuseB();
      expect(saga.state.status).toBe('COMPENSATING');
      expect(saga.statuses()).toEqual({ a: 'COMPENSATING', b: 'FAILED', c: 'AWAITING', d: 'SKIPPED' });
      expect(saga.step('c')).toMatchObject({ phase: 'action', attempt: 1, lastError: 'step "b" failed' });
      expect(saga.step('c').dueAt).not.toBeNull();
      expect(saga.step('a').dueAt).toBeNull();
      // c's late answer is recorded; only then is c compensated, and a after c
      expect(names(saga.answer('c', ok({ id: 7 })))).toEqual(['c:compensation']);
      expect(saga.step('c')).toMatchObject({ status: 'COMPENSATING', output: { id: 7 } });
      expect(names(saga.answer('c', ok()))).toEqual(['a:compensation']);
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
      expect(saga.statuses()).toEqual({ a: 'COMPENSATED', b: 'FAILED', c: 'COMPENSATED', d: 'SKIPPED' });
    });

    it.each([
      ['an unknown outcome', unknown(), 'COMPENSATED', ['c:compensation']],
      ['a refusal of the first attempt', refused(), 'FAILED', ['a:compensation']],
      ['a misconfigured answer', misconfigured(), 'FAILED', ['a:compensation']],
    ])('after %s of the awaited action, c ends %s', (_what, outcome, cStatus, next) => {
      const saga = refuseB();
      expect(names(saga.answer('c', outcome))).toEqual(next);
      while (saga.state.steps.some((s) => s.dueAt !== null)) saga.answer(saga.state.steps.find((s) => s.dueAt !== null)!.name, ok());
      expect(saga.state.status).toBe('COMPENSATED');
      expect(saga.step('c').status).toBe(cStatus);
      expect(saga.calls.filter((c) => c.step === 'c' && c.phase === 'action')).toHaveLength(1);
    });

    it('skips an awaited action the shell withdrew unsent, and compensates the rest', () => {
      const saga = refuseB();
      const c = saga.step('c');
      expect(names(saga.send({ type: 'withdrawn', step: 'c', phase: 'action', attempt: c.attempt }).commands)).toEqual(['a:compensation']);
      expect(saga.step('c')).toMatchObject({ status: 'SKIPPED', dueAt: null, lastError: 'step "b" failed' });
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
    });

    it('rejects a withdrawal of a call that is not awaited', () => {
      const saga = new Saga(diamond());
      saga.start();
      const before = saga.state;
      expect(saga.send({ type: 'withdrawn', step: 'a', phase: 'action', attempt: 1 })).toMatchObject({ rejected: 'stale', commands: [] });
      expect(saga.state).toBe(before);
      const rolling = refuseB();
      expect(rolling.send({ type: 'withdrawn', step: 'c', phase: 'action', attempt: 2 })).toMatchObject({ rejected: 'stale' });
    });

    it('makes a retry waiting in backoff due now, so it can be withdrawn unsent at once', () => {
      const saga = new Saga(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }]));
      saga.start();
      expect(saga.answer('a', unknown())).toEqual([call('a', 'action', 2, 100)]);
      saga.now = 10;
      expect(saga.answer('b', refused())).toEqual([]);
      expect(saga.step('a')).toMatchObject({ status: 'AWAITING', attempt: 2, dueAt: 10 });
      // attempt 1 may have applied: withdrawing attempt 2 still leaves a to compensate
      expect(names(saga.send({ type: 'withdrawn', step: 'a', phase: 'action', attempt: 2 }).commands)).toEqual(['a:compensation']);
    });

    it('awaits an in-flight step without compensation before finishing', () => {
      const saga = new Saga(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [], comp: false }]));
      saga.start();
      saga.answer('a', refused());
      expect(saga.state.status).toBe('COMPENSATING');
      expect(saga.step('b').status).toBe('AWAITING');
      saga.answer('b', ok({ sent: true }));
      expect(saga.state.status).toBe('COMPENSATED');
      expect(saga.step('b')).toMatchObject({ status: 'SUCCEEDED', dueAt: null, output: { sent: true } });
    });

    it('holds back a compensation while a transitive dependent without compensation is awaited', () => {
      const saga = new Saga(planOf([{ name: 'a' }, { name: 'b', comp: false }, { name: 'c', dependsOn: ['a'] }, { name: 'd', dependsOn: ['b'] }]));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      expect(saga.answer('c', refused())).toEqual([]);
      expect(saga.statuses()).toMatchObject({ a: 'COMPENSATING', d: 'AWAITING' });
      expect(names(saga.answer('d', unknown()))).toEqual(['d:compensation']);
      expect(names(saga.answer('d', ok()))).toEqual(['a:compensation']);
    });
  });

  describe('compensation failures', () => {
    it.each([
      ['a 409', refused(409)],
      ['a 422', refused(422)],
      ['another 4xx', misconfigured(400)],
    ])('parks the saga as STUCK when a compensation answers %s', (_, outcome) => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.answer('c', refused());
      expect(saga.answer('b', outcome)).toEqual([]);
      expect(saga.state.status).toBe('STUCK');
      expect(saga.statuses()).toEqual({ a: 'COMPENSATING', b: 'STUCK', c: 'FAILED' });
      expect(saga.state.steps.every((s) => s.dueAt === null)).toBe(true);
      expect(saga.calls.some((c) => c.step === 'a' && c.phase === 'compensation')).toBe(false);
    });

    it('retries a compensation until its budget runs out, then is STUCK', () => {
      const saga = new Saga(planOf([{ name: 'a', maxAttempts: 3 }, { name: 'b' }]));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', refused());
      expect(saga.answer('a', unknown())).toEqual([call('a', 'compensation', 2, 100)]);
      expect(saga.answer('a', unknown())).toEqual([call('a', 'compensation', 3, 200)]);
      expect(saga.answer('a', unknown())).toEqual([]);
      expect(saga.state.status).toBe('STUCK');
      expect(saga.step('a').status).toBe('STUCK');
      expect(saga.step('a').lastError).toMatch(/retry budget exhausted/);
    });

    it('resumes a STUCK compensation with a fresh budget on operator retry', () => {
      const saga = new Saga(planOf([{ name: 'a', maxAttempts: 2 }, { name: 'b' }]));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', refused());
      saga.answer('a', unknown());
      saga.answer('a', unknown());
      expect(saga.state.status).toBe('STUCK');
      saga.now = 10_000;
      expect(saga.send({ type: 'retry' }).commands).toEqual([call('a', 'compensation', 3, 10_000)]);
      expect(saga.state.status).toBe('COMPENSATING');
      expect(saga.step('a')).toMatchObject({ status: 'COMPENSATING', attempt: 3, attemptBase: 2 });
      // a fresh budget of two attempts: 3 and 4
      expect(saga.answer('a', unknown())).toEqual([call('a', 'compensation', 4, 10_100)]);
      expect(saga.answer('a', ok())).toEqual([]);
      expect(saga.state.status).toBe('COMPENSATED');
    });

    it('schedules blocked compensations after the STUCK one is retried and succeeds', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.answer('c', refused());
      saga.answer('b', refused());
      expect(saga.state.status).toBe('STUCK');
      expect(names(saga.send({ type: 'retry' }).commands)).toEqual(['b:compensation']);
      expect(saga.answer('b', ok())).toEqual([call('a', 'compensation')]);
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
    });

    it('says why it rolled back and why it is STUCK, and forgets the latter once retried', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.send({ type: 'result', step: 'c', phase: 'action', attempt: 1, outcome: refused(), error: 'HTTP 409: no stock' });
      expect(saga.state.rollbackReason).toEqual({ step: 'c', phase: 'action', message: 'HTTP 409: no stock' });
      saga.send({ type: 'result', step: 'b', phase: 'compensation', attempt: 1, outcome: misconfigured(404), error: 'HTTP 404' });
      expect(saga.state).toMatchObject({ status: 'STUCK', stuckReason: { step: 'b', phase: 'compensation', message: 'HTTP 404' } });
      saga.send({ type: 'retry' });
      expect(saga.state).toMatchObject({ status: 'COMPENSATING', stuckReason: null, rollbackReason: { step: 'c' } });
      // the failed step keeps its error after its neighbours were undone
      saga.answer('b', ok());
      saga.answer('a', ok());
      expect(saga.step('c').lastError).toBe('HTTP 409: no stock');
      expect(saga.step('b').lastError).toBe('HTTP 404');
    });

    it('skips a STUCK compensation as done, then compensates the steps it held back', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.answer('c', refused());
      saga.answer('b', refused());
      expect(saga.state.status).toBe('STUCK');
      expect(saga.send({ type: 'skip', step: 'b', output: { x: 1 } })).toMatchObject({ rejected: 'invalid-state' });
      expect(names(saga.send({ type: 'skip', step: 'b' }).commands)).toEqual(['a:compensation']);
      expect(saga.state).toMatchObject({ status: 'COMPENSATING', stuckReason: null });
      expect(saga.step('b').status).toBe('COMPENSATED');
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
    });

    it('refuses to skip a step that is not STUCK, or one that does not exist', () => {
      const saga = new Saga(abc());
      saga.start();
      const before = saga.state;
      expect(saga.send({ type: 'skip', step: 'a' })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(saga.send({ type: 'skip', step: 'zz' })).toMatchObject({ rejected: 'invalid-state' });
      expect(saga.state).toBe(before);
    });

    it('resolves a STUCK saga by hand', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', refused());
      saga.answer('a', refused());
      const decision = saga.send({ type: 'resolve', note: 'refunded by hand' });
      expect(decision).toMatchObject({ commands: [] });
      expect(decision.rejected).toBeUndefined();
      expect(saga.state.status).toBe('RESOLVED');
      expect(saga.send({ type: 'retry' })).toMatchObject({ rejected: 'invalid-state' });
      expect(saga.send({ type: 'resolve' })).toMatchObject({ rejected: 'invalid-state' });
    });

    it.each(['retry', 'resolve'] as const)('rejects operator %s on a saga that is not STUCK', (type) => {
      const running = new Saga(abc());
      running.start();
      const before = running.state;
      expect(running.send({ type })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(running.state).toBe(before);

      const done = new Saga(planOf([{ name: 'a' }]));
      done.start();
      done.answer('a', ok());
      expect(done.send({ type })).toMatchObject({ rejected: 'invalid-state' });
      expect(done.state.status).toBe('COMPLETED');
    });
  });

  describe('pivot steps', () => {
    const pivotPlan = () => planOf([{ name: 'a' }, { name: 'b', pivot: true }, { name: 'c' }, { name: 'd' }]);

    it('makes a later refusal STUCK instead of compensating', () => {
      const saga = new Saga(pivotPlan(), { deadlineAt: 1_000 });
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      expect(saga.state.pivotPassed).toBe(true);
      expect(saga.answer('c', refused())).toEqual([]);
      expect(saga.state).toMatchObject({ status: 'STUCK', direction: 'forward' });
      expect(saga.statuses()).toEqual({ a: 'SUCCEEDED', b: 'SUCCEEDED', c: 'STUCK', d: 'PENDING' });
      expect(saga.calls.some((c) => c.phase === 'compensation')).toBe(false);
    });

    it('skips a STUCK step after the pivot with an output, which the next steps are sent', () => {
      const saga = new Saga(planOf([{ name: 'a', pivot: true }, { name: 'b' }, { name: 'c', input: { got: '{{steps.b.output.id}}' } }]));
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', refused());
      expect(saga.state.status).toBe('STUCK');
      expect(names(saga.send({ type: 'skip', step: 'b', output: { id: 'by-hand' } }).commands)).toEqual(['c:action']);
      expect(saga.step('b')).toMatchObject({ status: 'SUCCEEDED', output: { id: 'by-hand' } });
      expect(saga.step('c').input).toEqual({ got: 'by-hand' });
      saga.answer('c', ok());
      expect(saga.state.status).toBe('COMPLETED');
    });

    it('retries with a new input: the stuck step and the steps after it are sent it, the others keep theirs', () => {
      const saga = new Saga(planOf([{ name: 'a', pivot: true }, { name: 'b' }, { name: 'c' }]), { input: { total: 1 } });
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', misconfigured(400));
      expect(saga.state.status).toBe('STUCK');
      saga.send({ type: 'retry', input: { total: 2 } });
      expect(saga.state.input).toEqual({ total: 2 });
      expect(saga.step('a').input).toEqual({ total: 1 });
      expect(saga.step('b')).toMatchObject({ status: 'RUNNING', input: { total: 2 } });
      saga.answer('b', ok());
      expect(saga.step('c').input).toEqual({ total: 2 });
    });

    it('retries forward from a STUCK step after the pivot and completes', () => {
      const saga = new Saga(pivotPlan());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      saga.answer('c', misconfigured(400));
      expect(saga.send({ type: 'retry' }).commands).toEqual([call('c', 'action', 2)]);
      expect(saga.state.status).toBe('RUNNING');
      expect(saga.answer('c', ok())).toEqual([call('d', 'action')]);
      saga.answer('d', ok());
      expect(saga.state.status).toBe('COMPLETED');
    });

    it('makes an exhausted retry budget after the pivot STUCK', () => {
      const saga = new Saga(planOf([{ name: 'a', pivot: true }, { name: 'b', maxAttempts: 1 }]));
      saga.start();
      saga.answer('a', ok());
      expect(saga.answer('b', unknown())).toEqual([]);
      expect(saga.state.status).toBe('STUCK');
      expect(saga.calls.some((c) => c.phase === 'compensation')).toBe(false);
    });

    it('keeps running parallel steps after a STUCK step past the pivot', () => {
      const saga = new Saga(planOf([{ name: 'p', pivot: true }, { name: 'x', dependsOn: ['p'] }, { name: 'y', dependsOn: ['p'] }]));
      saga.start();
      saga.answer('p', ok());
      saga.answer('x', refused());
      expect(saga.state.status).toBe('RUNNING');
      saga.answer('y', ok());
      expect(saga.state.status).toBe('STUCK');
    });

    it('rolls back when an action answers after the deadline, before the deadline event arrives', () => {
      const saga = new Saga(abc(), { deadlineAt: 1_000 });
      saga.start();
      saga.answer('a', ok());
      saga.now = 1_001;
      expect(names(saga.answer('b', ok()))).toEqual(['b:compensation']);
      expect(saga.state.status).toBe('COMPENSATING');
      expect(saga.calls.some((c) => c.step === 'c')).toBe(false);
    });

    it('rejects abort and deadline after the pivot', () => {
      const saga = new Saga(pivotPlan(), { deadlineAt: 1_000 });
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', ok());
      const before = saga.state;
      expect(saga.send({ type: 'abort' })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      saga.now = 5_000;
      expect(saga.send({ type: 'deadline' })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(saga.state).toBe(before);
    });

    it('rolls back normally when a step before the pivot fails', () => {
      const saga = new Saga(pivotPlan());
      saga.start();
      saga.answer('a', ok());
      expect(saga.answer('b', refused())).toEqual([call('a', 'compensation')]);
    });
  });

  describe('deadline', () => {
    it('rolls back a saga still going forward at its deadline, awaiting the step in flight', () => {
      const saga = new Saga(abc(), { deadlineAt: 1_000 });
      saga.start();
      saga.answer('a', ok());
      saga.now = 1_000;
      expect(saga.send({ type: 'deadline' }).commands).toEqual([]);
      expect(saga.state.status).toBe('COMPENSATING');
      expect(saga.statuses()).toEqual({ a: 'COMPENSATING', b: 'AWAITING', c: 'SKIPPED' });
      expect(saga.step('b').lastError).toBe('deadline passed');
      expect(names(saga.answer('b', unknown()))).toEqual(['b:compensation']);
      expect(names(saga.answer('b', ok()))).toEqual(['a:compensation']);
      saga.answer('a', ok());
      expect(saga.state.status).toBe('COMPENSATED');
    });

    it('treats a deadline event before the deadline as stale', () => {
      const saga = new Saga(abc(), { deadlineAt: 1_000 });
      saga.start();
      saga.now = 999;
      const before = saga.state;
      expect(saga.send({ type: 'deadline' })).toMatchObject({ rejected: 'stale', commands: [] });
      expect(saga.state).toBe(before);
    });

    it('rejects the deadline once the saga completed, while compensating, or without a deadline', () => {
      const done = new Saga(planOf([{ name: 'a' }]), { deadlineAt: 1_000 });
      done.start();
      done.answer('a', ok());
      done.now = 2_000;
      expect(done.send({ type: 'deadline' })).toMatchObject({ rejected: 'invalid-state' });
      expect(done.state.status).toBe('COMPLETED');

      const back = new Saga(abc(), { deadlineAt: 1_000 });
      back.start();
      back.answer('a', ok());
      back.send({ type: 'abort' });
      back.now = 2_000;
      expect(back.send({ type: 'deadline' })).toMatchObject({ rejected: 'invalid-state' });

      const none = new Saga(abc());
      none.start();
      none.now = 1e12;
      expect(none.send({ type: 'deadline' })).toMatchObject({ rejected: 'invalid-state' });
    });
  });

  describe('abort', () => {
    it('rolls back a running saga', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      expect(saga.send({ type: 'abort', reason: 'customer cancelled' }).commands).toEqual([]);
      expect(saga.state.status).toBe('COMPENSATING');
      expect(saga.step('b')).toMatchObject({ status: 'AWAITING', lastError: 'customer cancelled' });
      expect(names(saga.answer('b', ok()))).toEqual(['b:compensation']);
    });

    it('accepts an abort while compensating as a no-op', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.send({ type: 'abort' });
      const before = saga.state;
      const decision = saga.send({ type: 'abort' });
      expect(decision.rejected).toBeUndefined();
      expect(decision.commands).toEqual([]);
      expect(decision.state).toEqual(before);
    });

    it.each([
      ['COMPLETED', (s: Saga) => s.answer('a', ok())],
      ['COMPENSATED', (s: Saga) => s.answer('a', refused())],
      ['STUCK', (s: Saga) => (s.answer('a', unknown()), s.send({ type: 'abort' }), s.answer('a', refused()), s.answer('a', refused()))],
    ])('rejects an abort of a %s saga', (status, drive) => {
      const saga = new Saga(planOf([{ name: 'a' }]));
      saga.start();
      drive(saga);
      expect(saga.state.status).toBe(status);
      const before = saga.state;
      expect(saga.send({ type: 'abort' })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(saga.state).toBe(before);
    });
  });

  describe('stale results', () => {
    const running = () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', unknown()); // a: attempt 2 outstanding
      return saga;
    };

    it.each<[string, (s: Saga) => MachineEvent]>([
      ['an earlier attempt', () => ({ type: 'result', step: 'a', phase: 'action', attempt: 1, outcome: ok() })],
      ['a later attempt', () => ({ type: 'result', step: 'a', phase: 'action', attempt: 3, outcome: ok() })],
      ['the wrong phase', () => ({ type: 'result', step: 'a', phase: 'compensation', attempt: 2, outcome: ok() })],
      ['a TCC phase', () => ({ type: 'result', step: 'a', phase: 'try', attempt: 2, outcome: ok() })],
      ['a step not yet scheduled', () => ({ type: 'result', step: 'b', phase: 'action', attempt: 1, outcome: ok() })],
      ['an unknown step', () => ({ type: 'result', step: 'zz', phase: 'action', attempt: 1, outcome: ok() })],
    ])('rejects a result for %s as stale without changing the state', (_, event) => {
      const saga = running();
      const before = saga.state;
      expect(saga.send(event(saga))).toMatchObject({ rejected: 'stale', commands: [], state: before });
      expect(saga.state).toBe(before);
    });

    it('rejects a duplicate of an answered result as stale', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok({ v: 1 }));
      const before = saga.state;
      expect(saga.send({ type: 'result', step: 'a', phase: 'action', attempt: 1, outcome: refused() })).toMatchObject({ rejected: 'stale' });
      expect(saga.state).toBe(before);
      expect(saga.step('a').output).toEqual({ v: 1 });
    });

    it('rejects results after the saga finished', () => {
      const saga = new Saga(planOf([{ name: 'a' }]));
      saga.start();
      saga.answer('a', ok());
      for (const outcome of [ok(), refused(), unknown()]) {
        expect(saga.send({ type: 'result', step: 'a', phase: 'action', attempt: 1, outcome })).toMatchObject({ rejected: 'stale' });
      }
      expect(saga.state.status).toBe('COMPLETED');
    });

    it('rejects results once the saga was resolved', () => {
      const saga = new Saga(abc());
      saga.start();
      saga.answer('a', ok());
      saga.answer('b', refused());
      saga.answer('a', refused());
      saga.send({ type: 'resolve' });
      expect(saga.send({ type: 'result', step: 'a', phase: 'compensation', attempt: 1, outcome: ok() })).toMatchObject({ rejected: 'stale' });
      expect(saga.state.status).toBe('RESOLVED');
    });
  });
});
