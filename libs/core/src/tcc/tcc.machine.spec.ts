import type { Plan } from '../definition/plan';
import type { MachineEvent } from '../machine/machine.types';
import { call, compilePlan, MachineDriver, misconfigured, names, ok, refused, unknown, type StepSpecBase } from '../../spec-kit/machine.spec-kit';
import { decideTcc } from './tcc.machine';
import { initialTccState, type TccState } from './tcc.state';

// ---- helpers ---------------------------------------------------------------

const planOf = (branches: StepSpecBase[], extra: Record<string, unknown> = {}): Plan =>
  compilePlan(
    'tcc',
    branches,
    (b) => ({
      try: { url: `http://svc/${b.name}/try` },
      confirm: { url: `http://svc/${b.name}/confirm` },
      cancel: { url: `http://svc/${b.name}/cancel` },
    }),
    extra,
  );

/** Drives one TCC transaction: keeps the state, the clock and every command issued. */
class Tcc extends MachineDriver<TccState> {
  constructor(plan: Plan, opts: { input?: unknown; deadlineAt?: number | null } = {}) {
    super(decideTcc, initialTccState, plan, opts);
  }
}

/** Three independent branches, tried in parallel. */
const parallel = () => planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }, { name: 'c', dependsOn: [] }]);
/** a -> b -> c (no dependsOn: each follows the previous one). */
const chain = () => planOf([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);

/** Tries every branch of `parallel()` successfully: the transaction is CONFIRMING. */
function confirming(): Tcc {
  const tcc = new Tcc(parallel());
  tcc.start();
  tcc.answer('a', ok());
  tcc.answer('b', ok());
  tcc.answer('c', ok());
  expect(tcc.state.status).toBe('CONFIRMING');
  return tcc;
}

// ---- tests -------------------------------------------------------------------

describe(decideTcc.name, () => {
  describe('trying', () => {
    it('starts every root branch with a try, in parallel', () => {
      const tcc = new Tcc(parallel());
      expect(tcc.start()).toEqual([call('a', 'try'), call('b', 'try'), call('c', 'try')]);
      expect(tcc.state).toMatchObject({ status: 'TRYING', direction: 'forward', pivotPassed: false });
      expect(tcc.statuses()).toEqual({ a: 'TRYING', b: 'TRYING', c: 'TRYING' });
    });

    it('orders tries by dependsOn', () => {
      const tcc = new Tcc(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }, { name: 'c', dependsOn: ['a', 'b'] }]));
      expect(names(tcc.start())).toEqual(['a:try', 'b:try']);
      expect(tcc.answer('a', ok())).toEqual([]);
      expect(tcc.statuses()).toEqual({ a: 'SUCCEEDED', b: 'TRYING', c: 'PENDING' });
      expect(tcc.answer('b', ok())).toEqual([call('c', 'try')]);
    });

    it('tries branches without dependsOn one after the other', () => {
      const tcc = new Tcc(chain());
      expect(tcc.start()).toEqual([call('a', 'try')]);
      expect(tcc.answer('a', ok())).toEqual([call('b', 'try')]);
      expect(tcc.answer('b', ok())).toEqual([call('c', 'try')]);
    });

    it('renders each branch input once, from the transaction input and earlier outputs', () => {
      const tcc = new Tcc(planOf([{ name: 'hold' }, { name: 'pay', input: { amount: '{{input.total}}', hold: '{{steps.hold.output.id}}' } }]));
      tcc.start();
      expect(tcc.step('hold').input).toEqual({ total: 42 });
      tcc.answer('hold', ok({ id: 'h-1' }));
      expect(tcc.step('pay').input).toEqual({ amount: 42, hold: 'h-1' });
    });

    it('retries a try with an unknown outcome with backoff, honouring Retry-After', () => {
      const tcc = new Tcc(chain());
      tcc.start();
      tcc.now = 1_000;
      expect(tcc.answer('a', unknown())).toEqual([call('a', 'try', 2, 1_100)]);
      tcc.now = 2_000;
      expect(tcc.answer('a', unknown(5_000))).toEqual([call('a', 'try', 3, 7_000)]);
      expect(tcc.step('a')).toMatchObject({ status: 'TRYING', attempt: 3, mayHaveApplied: true });
      expect(tcc.state.status).toBe('TRYING');
    });

    it('does not modify the state it was given', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      const before = tcc.state;
      const snapshot = structuredClone(before);
      tcc.answer('a', ok({ id: 1 }));
      tcc.answer('b', refused());
      expect(before).toEqual(snapshot);
    });

    it('refuses to start twice and rejects unknown events', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      const before = tcc.state;
      expect(tcc.send({ type: 'start' })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(tcc.send({ type: 'bogus' } as unknown as MachineEvent)).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(tcc.state).toBe(before);
    });
  });

  describe('the confirm decision', () => {
    it('sends at most maxParallel confirms at once, and the rest as they finish', () => {
      const tcc = new Tcc(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }, { name: 'c', dependsOn: [] }], { maxParallel: 2 }));
      expect(names(tcc.start())).toEqual(['a:try', 'b:try']);
      expect(names(tcc.answer('a', ok()))).toEqual(['c:try']);
      tcc.answer('b', ok());
      expect(names(tcc.answer('c', ok()))).toEqual(['a:confirm', 'b:confirm']);
      expect(tcc.statuses()).toEqual({ a: 'CONFIRMING', b: 'CONFIRMING', c: 'CONFIRMING' });
      expect(names(tcc.answer('b', ok()))).toEqual(['c:confirm']);
      tcc.answer('a', ok());
      tcc.answer('c', ok());
      expect(tcc.state.status).toBe('CONFIRMED');
    });

    it('confirms every branch at once when every try succeeded', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.now = 10;
      expect(tcc.answer('a', ok())).toEqual([]);
      expect(tcc.answer('c', ok())).toEqual([]);
      expect(tcc.state.pivotPassed).toBe(false);
      expect(tcc.answer('b', ok())).toEqual([call('a', 'confirm', 1, 10), call('b', 'confirm', 1, 10), call('c', 'confirm', 1, 10)]);
      expect(tcc.state).toMatchObject({ status: 'CONFIRMING', pivotPassed: true, direction: 'forward' });
      expect(tcc.statuses()).toEqual({ a: 'CONFIRMING', b: 'CONFIRMING', c: 'CONFIRMING' });
    });

    it('finishes CONFIRMED when every confirm succeeded, with nothing left due', () => {
      const tcc = confirming();
      expect(tcc.answer('a', ok())).toEqual([]);
      expect(tcc.answer('b', ok())).toEqual([]);
      expect(tcc.state.status).toBe('CONFIRMING');
      expect(tcc.answer('c', ok())).toEqual([]);
      expect(tcc.state.status).toBe('CONFIRMED');
      expect(tcc.statuses()).toEqual({ a: 'CONFIRMED', b: 'CONFIRMED', c: 'CONFIRMED' });
      expect(tcc.state.steps.every((s) => s.dueAt === null)).toBe(true);
      expect(tcc.calls.some((c) => c.phase === 'cancel')).toBe(false);
    });

    it('confirms a single-branch transaction', () => {
      const tcc = new Tcc(planOf([{ name: 'only' }]));
      tcc.start();
      expect(tcc.answer('only', ok())).toEqual([call('only', 'confirm')]);
      tcc.answer('only', ok());
      expect(tcc.state.status).toBe('CONFIRMED');
    });
  });

  describe('the cancel decision', () => {
    it.each([
      ['409', refused(409)],
      ['422', refused(422)],
      ['another 4xx', misconfigured(404)],
    ])('cancels every tried branch when a try is refused with %s', (_label, outcome) => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.answer('a', ok());
      tcc.now = 5;
      expect(tcc.answer('b', outcome)).toEqual([call('a', 'cancel', 1, 5), call('b', 'cancel', 1, 5), call('c', 'cancel', 1, 5)]);
      expect(tcc.state).toMatchObject({ status: 'CANCELLING', pivotPassed: true, direction: 'backward' });
      expect(tcc.statuses()).toEqual({ a: 'CANCELLING', b: 'CANCELLING', c: 'CANCELLING' });
      expect(tcc.step('b').lastError).toMatch(/HTTP/);
      tcc.answer('a', ok());
      tcc.answer('b', ok());
      expect(tcc.answer('c', ok())).toEqual([]);
      expect(tcc.state.status).toBe('CANCELLED');
      expect(tcc.statuses()).toEqual({ a: 'CANCELLED', b: 'CANCELLED', c: 'CANCELLED' });
      expect(tcc.calls.some((c) => c.phase === 'confirm')).toBe(false);
    });

    it('cancels when a try runs out of retries', () => {
      const tcc = new Tcc(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [], maxAttempts: 2 }]));
      tcc.start();
      tcc.answer('a', ok());
      expect(tcc.answer('b', unknown())).toEqual([call('b', 'try', 2, 100)]);
      expect(tcc.answer('b', unknown())).toEqual([call('a', 'cancel'), call('b', 'cancel')]);
      expect(tcc.step('b')).toMatchObject({ status: 'CANCELLING', mayHaveApplied: true });
      expect(tcc.step('b').lastError).toMatch(/retry budget exhausted/);
      expect(tcc.state).toMatchObject({ status: 'CANCELLING', direction: 'backward', pivotPassed: true });
    });

    it('skips branches whose try was never sent', () => {
      const tcc = new Tcc(chain());
      tcc.start();
      tcc.answer('a', ok());
      expect(tcc.answer('b', refused())).toEqual([call('b', 'cancel')]);
      expect(tcc.statuses()).toEqual({ a: 'CANCELLING', b: 'CANCELLING', c: 'SKIPPED' });
      expect(tcc.answer('b', ok())).toEqual([call('a', 'cancel')]);
      tcc.answer('a', ok());
      expect(tcc.state.status).toBe('CANCELLED');
      expect(tcc.statuses()).toEqual({ a: 'CANCELLED', b: 'CANCELLED', c: 'SKIPPED' });
      expect(tcc.calls.some((c) => c.step === 'c')).toBe(false);
    });

    it('cancels even the branch refused on its first try (a null cancel for the participant)', () => {
      const tcc = new Tcc(chain());
      tcc.start();
      expect(tcc.answer('a', refused())).toEqual([call('a', 'cancel')]);
      expect(tcc.statuses()).toEqual({ a: 'CANCELLING', b: 'SKIPPED', c: 'SKIPPED' });
      tcc.answer('a', ok());
      expect(tcc.state.status).toBe('CANCELLED');
    });

    it('cancels in reverse dependency order over a DAG', () => {
      // a -> (b, c) -> d ; e (parallel root) refuses after d succeeded
      const tcc = new Tcc(
        planOf([
          { name: 'a', dependsOn: [] },
          { name: 'b', dependsOn: ['a'] },
          { name: 'c', dependsOn: ['a'] },
          { name: 'd', dependsOn: ['b', 'c'] },
          { name: 'e', dependsOn: [] },
        ]),
      );
      tcc.start();
      tcc.answer('a', ok());
      tcc.answer('b', ok());
      tcc.answer('c', ok());
      tcc.answer('d', ok());
      expect(names(tcc.answer('e', refused()))).toEqual(['d:cancel', 'e:cancel']);
      expect(names(tcc.answer('d', ok()))).toEqual(['b:cancel', 'c:cancel']);
      expect(tcc.answer('b', ok())).toEqual([]);
      expect(names(tcc.answer('c', ok()))).toEqual(['a:cancel']);
      tcc.answer('e', ok());
      tcc.answer('a', ok());
      expect(tcc.state.status).toBe('CANCELLED');
    });

    it('cancels a branch whose try is still in flight and rejects its late answer as stale', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.answer('a', ok());
      expect(names(tcc.answer('b', refused()))).toEqual(['a:cancel', 'b:cancel', 'c:cancel']);
      expect(tcc.step('c')).toMatchObject({ status: 'CANCELLING', mayHaveApplied: true, phase: 'cancel', attempt: 1 });
      // c's try answers ok after the cancel decision: nothing flips
      tcc.expectStale('c', 'try', 1, ok());
      tcc.expectStale('c', 'try', 1, refused());
      expect(tcc.state).toMatchObject({ status: 'CANCELLING', direction: 'backward' });
    });

    it('cancels a branch waiting for a retry of its try', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.answer('c', unknown());
      expect(tcc.step('c')).toMatchObject({ status: 'TRYING', attempt: 2 });
      expect(names(tcc.answer('a', refused()))).toEqual(['a:cancel', 'b:cancel', 'c:cancel']);
      tcc.expectStale('c', 'try', 2, ok());
    });

    it('rejects a late try answer for a branch whose cancel waits for a dependent', () => {
      const tcc = new Tcc(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: ['a'] }, { name: 'x', dependsOn: [] }]));
      tcc.start();
      tcc.answer('a', ok());
      // b's try in flight, a waits for b's cancel
      expect(names(tcc.answer('x', refused()))).toEqual(['b:cancel', 'x:cancel']);
      expect(tcc.step('a')).toMatchObject({ status: 'CANCELLING', phase: 'try', dueAt: null });
      tcc.expectStale('a', 'try', 1, ok());
      tcc.expectStale('b', 'try', 1, ok());
    });
  });

  describe('deadline', () => {
    it('cancels a transaction still trying, including tries that never answered', () => {
      const tcc = new Tcc(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }, { name: 'c', dependsOn: ['a'] }]), {
        deadlineAt: 1_000,
      });
      tcc.start();
      tcc.answer('a', ok());
      tcc.now = 1_000;
      expect(names(tcc.send({ type: 'deadline' }).commands)).toEqual(['b:cancel', 'c:cancel']);
      expect(tcc.state).toMatchObject({ status: 'CANCELLING', direction: 'backward', pivotPassed: true });
      expect(tcc.statuses()).toEqual({ a: 'CANCELLING', b: 'CANCELLING', c: 'CANCELLING' });
      expect(tcc.step('b')).toMatchObject({ mayHaveApplied: true, lastError: 'deadline passed' });
      tcc.expectStale('b', 'try', 1, ok());
      expect(names(tcc.answer('c', ok()))).toEqual(['a:cancel']);
      tcc.answer('a', ok());
      tcc.answer('b', ok());
      expect(tcc.state.status).toBe('CANCELLED');
    });

    it('cancels when the last try answers after the deadline, before the deadline event arrives', () => {
      const tcc = new Tcc(planOf([{ name: 'a', dependsOn: [] }, { name: 'b', dependsOn: [] }]), { deadlineAt: 1_000 });
      tcc.start();
      tcc.answer('a', ok());
      tcc.now = 1_001;
      expect(names(tcc.answer('b', ok())).sort()).toEqual(['a:cancel', 'b:cancel']);
      expect(tcc.state).toMatchObject({ status: 'CANCELLING', direction: 'backward', pivotPassed: true });
      expect(tcc.calls.some((c) => c.phase === 'confirm')).toBe(false);
    });

    it('treats a deadline event before the deadline as stale', () => {
      const tcc = new Tcc(parallel(), { deadlineAt: 1_000 });
      tcc.start();
      tcc.now = 999;
      const before = tcc.state;
      expect(tcc.send({ type: 'deadline' })).toMatchObject({ rejected: 'stale', commands: [] });
      expect(tcc.state).toBe(before);
    });

    it('rejects the deadline after the decision, once terminal, or without a deadline', () => {
      const confirmed = new Tcc(parallel(), { deadlineAt: 1_000 });
      confirmed.start();
      for (const n of ['a', 'b', 'c']) confirmed.answer(n, ok());
      confirmed.now = 5_000;
      expect(confirmed.send({ type: 'deadline' }).rejected).toBe('invalid-state');
      expect(confirmed.state.status).toBe('CONFIRMING');
      for (const n of ['a', 'b', 'c']) confirmed.answer(n, ok());
      expect(confirmed.send({ type: 'deadline' }).rejected).toBe('invalid-state');

      const cancelling = new Tcc(parallel(), { deadlineAt: 1_000 });
      cancelling.start();
      cancelling.answer('a', refused());
      cancelling.now = 5_000;
      expect(cancelling.send({ type: 'deadline' }).rejected).toBe('invalid-state');

      const none = new Tcc(parallel());
      none.start();
      none.now = 1e12;
      expect(none.send({ type: 'deadline' }).rejected).toBe('invalid-state');
    });
  });

  describe('abort', () => {
    it('cancels a transaction still trying', () => {
      const tcc = new Tcc(chain());
      tcc.start();
      tcc.answer('a', ok());
      expect(names(tcc.send({ type: 'abort', reason: 'user' }).commands)).toEqual(['b:cancel']);
      expect(tcc.state).toMatchObject({ status: 'CANCELLING', direction: 'backward', pivotPassed: true });
      expect(tcc.statuses()).toEqual({ a: 'CANCELLING', b: 'CANCELLING', c: 'SKIPPED' });
      expect(tcc.step('b').lastError).toBe('user');
    });

    it('skips every branch when aborted before it started', () => {
      const tcc = new Tcc(parallel());
      expect(tcc.send({ type: 'abort' }).commands).toEqual([]);
      expect(tcc.state).toMatchObject({ status: 'CANCELLED', direction: 'backward', pivotPassed: true });
      expect(tcc.statuses()).toEqual({ a: 'SKIPPED', b: 'SKIPPED', c: 'SKIPPED' });
      expect(tcc.send({ type: 'start' }).rejected).toBe('invalid-state');
    });

    it('accepts an abort while cancelling as a no-op', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.answer('a', refused());
      const before = structuredClone(tcc.state);
      const decision = tcc.send({ type: 'abort' });
      expect(decision.rejected).toBeUndefined();
      expect(decision.commands).toEqual([]);
      expect(tcc.state).toEqual(before);
    });

    it('rejects an abort after the confirm decision, when terminal and when STUCK', () => {
      const tcc = confirming();
      expect(tcc.send({ type: 'abort' })).toMatchObject({ rejected: 'invalid-state', commands: [] });
      expect(tcc.state.status).toBe('CONFIRMING');
      for (const n of ['a', 'b', 'c']) tcc.answer(n, ok());
      expect(tcc.send({ type: 'abort' }).rejected).toBe('invalid-state');

      const cancelled = new Tcc(chain());
      cancelled.start();
      cancelled.answer('a', refused());
      cancelled.answer('a', ok());
      expect(cancelled.state.status).toBe('CANCELLED');
      expect(cancelled.send({ type: 'abort' }).rejected).toBe('invalid-state');

      const stuck = new Tcc(chain());
      stuck.start();
      stuck.answer('a', refused());
      stuck.answer('a', misconfigured());
      expect(stuck.state.status).toBe('STUCK');
      expect(stuck.send({ type: 'abort' }).rejected).toBe('invalid-state');
    });
  });

  describe('phase two failures', () => {
    it('retries a confirm with backoff until its budget runs out, then is STUCK', () => {
      const tcc = confirming();
      tcc.answer('a', ok());
      tcc.answer('b', ok());
      expect(tcc.answer('c', unknown())).toEqual([call('c', 'confirm', 2, 100)]);
      expect(tcc.answer('c', unknown())).toEqual([call('c', 'confirm', 3, 200)]);
      expect(tcc.state.status).toBe('CONFIRMING');
      expect(tcc.answer('c', unknown())).toEqual([]);
      expect(tcc.state).toMatchObject({ status: 'STUCK', direction: 'forward', pivotPassed: true });
      expect(tcc.step('c')).toMatchObject({ status: 'STUCK', dueAt: null });
      expect(tcc.step('c').lastError).toMatch(/retry budget exhausted/);
      expect(tcc.state.steps.every((s) => s.dueAt === null)).toBe(true);
    });

    it.each([
      ['409', refused(409)],
      ['422', refused(422)],
      ['another 4xx', misconfigured(403)],
    ])('makes a confirm answered %s STUCK: it cannot be refused', (_label, outcome) => {
      const tcc = confirming();
      expect(tcc.answer('a', outcome)).toEqual([]);
      expect(tcc.step('a').status).toBe('STUCK');
      // the others keep going; the transaction is STUCK once nothing is scheduled
      expect(tcc.state.status).toBe('CONFIRMING');
      tcc.answer('b', ok());
      expect(tcc.state.status).toBe('CONFIRMING');
      tcc.answer('c', ok());
      expect(tcc.state.status).toBe('STUCK');
      expect(tcc.calls.some((c) => c.phase === 'cancel')).toBe(false);
    });

    it.each([
      ['409', refused(409)],
      ['another 4xx', misconfigured(400)],
    ])('makes a cancel answered %s STUCK', (_label, outcome) => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.answer('a', refused());
      tcc.answer('a', ok());
      tcc.answer('b', outcome);
      expect(tcc.state.status).toBe('CANCELLING');
      tcc.answer('c', ok());
      expect(tcc.state).toMatchObject({ status: 'STUCK', direction: 'backward' });
      expect(tcc.statuses()).toEqual({ a: 'CANCELLED', b: 'STUCK', c: 'CANCELLED' });
    });

    it('holds back the cancels of dependencies behind a STUCK cancel', () => {
      const tcc = new Tcc(chain(), {});
      tcc.start();
      tcc.answer('a', ok());
      tcc.answer('b', ok());
      expect(names(tcc.answer('c', refused()))).toEqual(['c:cancel']);
      expect(tcc.answer('c', misconfigured())).toEqual([]);
      expect(tcc.state.status).toBe('STUCK');
      expect(tcc.statuses()).toEqual({ a: 'CANCELLING', b: 'CANCELLING', c: 'STUCK' });
      expect(tcc.calls.filter((c) => c.phase === 'cancel').map((c) => c.step)).toEqual(['c']);
    });
  });

  describe('operators', () => {
    it('resumes a STUCK confirm with a fresh budget and finishes CONFIRMED', () => {
      const tcc = confirming();
      tcc.answer('a', ok());
      tcc.answer('b', ok());
      for (let i = 0; i < 3; i++) tcc.answer('c', unknown());
      expect(tcc.state.status).toBe('STUCK');
      tcc.now = 10_000;
      expect(tcc.send({ type: 'retry' }).commands).toEqual([call('c', 'confirm', 4, 10_000)]);
      expect(tcc.state).toMatchObject({ status: 'CONFIRMING', direction: 'forward' });
      expect(tcc.step('c')).toMatchObject({ status: 'CONFIRMING', attemptBase: 3 });
      // a fresh budget: three more attempts
      expect(tcc.answer('c', unknown())).toEqual([call('c', 'confirm', 5, 10_100)]);
      tcc.answer('c', unknown());
      expect(tcc.answer('c', ok())).toEqual([]);
      expect(tcc.state.status).toBe('CONFIRMED');
      expect(tcc.calls.some((c) => c.phase === 'cancel')).toBe(false);
    });

    it('skips a STUCK confirm as confirmed, refusing an output for it, and finishes CONFIRMED', () => {
      const tcc = confirming();
      tcc.answer('a', ok());
      tcc.answer('b', ok());
      for (let i = 0; i < 3; i++) tcc.answer('c', unknown());
      expect(tcc.state).toMatchObject({ status: 'STUCK', stuckReason: { step: 'c', phase: 'confirm' } });
      expect(tcc.send({ type: 'skip', step: 'c', output: {} })).toMatchObject({ rejected: 'invalid-state' });
      expect(tcc.send({ type: 'skip', step: 'c' }).commands).toEqual([]);
      expect(tcc.state).toMatchObject({ status: 'CONFIRMED', stuckReason: null, rollbackReason: null });
    });

    it('resumes a STUCK cancel in the cancel direction, then the held-back cancels', () => {
      const tcc = new Tcc(chain());
      tcc.start();
      tcc.answer('a', ok());
      tcc.answer('b', refused());
      tcc.answer('b', refused());
      expect(tcc.state).toMatchObject({ status: 'STUCK', direction: 'backward' });
      expect(tcc.send({ type: 'retry' }).commands).toEqual([call('b', 'cancel', 2)]);
      expect(tcc.state.status).toBe('CANCELLING');
      expect(tcc.answer('b', ok())).toEqual([call('a', 'cancel')]);
      tcc.answer('a', ok());
      expect(tcc.state.status).toBe('CANCELLED');
      expect(tcc.calls.some((c) => c.phase === 'confirm')).toBe(false);
    });

    it('resolves a STUCK transaction by hand', () => {
      const tcc = new Tcc(chain());
      tcc.start();
      tcc.answer('a', refused());
      tcc.answer('a', misconfigured());
      expect(tcc.send({ type: 'resolve', note: 'fixed by hand' }).commands).toEqual([]);
      expect(tcc.state.status).toBe('RESOLVED');
      expect(tcc.state.steps.every((s) => s.dueAt === null)).toBe(true);
      expect(tcc.send({ type: 'retry' }).rejected).toBe('invalid-state');
      expect(tcc.send({ type: 'resolve' }).rejected).toBe('invalid-state');
    });

    it('rejects retry and resolve unless STUCK', () => {
      const tcc = new Tcc(parallel());
      expect(tcc.send({ type: 'retry' }).rejected).toBe('invalid-state');
      tcc.start();
      expect(tcc.send({ type: 'retry' }).rejected).toBe('invalid-state');
      expect(tcc.send({ type: 'resolve' }).rejected).toBe('invalid-state');
      for (const n of ['a', 'b', 'c']) tcc.answer(n, ok());
      expect(tcc.send({ type: 'retry' }).rejected).toBe('invalid-state');
      for (const n of ['a', 'b', 'c']) tcc.answer(n, ok());
      expect(tcc.send({ type: 'retry' }).rejected).toBe('invalid-state');
      expect(tcc.send({ type: 'resolve' }).rejected).toBe('invalid-state');
    });
  });

  describe('stale results', () => {
    it('rejects a wrong attempt, a wrong phase and an unknown step', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.answer('a', unknown());
      tcc.expectStale('a', 'try', 1);
      tcc.expectStale('a', 'try', 3);
      tcc.expectStale('a', 'confirm', 2);
      tcc.expectStale('a', 'cancel', 2);
      tcc.expectStale('zz', 'try', 1);
    });

    it('rejects a duplicate of an answered try, before and after the decision', () => {
      const tcc = new Tcc(parallel());
      tcc.start();
      tcc.answer('a', ok());
      tcc.expectStale('a', 'try', 1, refused());
      tcc.answer('b', ok());
      tcc.answer('c', ok());
      tcc.expectStale('c', 'try', 1, refused());
      tcc.expectStale('a', 'try', 1, ok());
      expect(tcc.state.status).toBe('CONFIRMING');
    });

    it('rejects duplicates of phase-two answers and results after the end', () => {
      const tcc = confirming();
      tcc.answer('a', ok());
      tcc.expectStale('a', 'confirm', 1, misconfigured());
      tcc.answer('b', ok());
      tcc.answer('c', ok());
      expect(tcc.state.status).toBe('CONFIRMED');
      for (const n of ['a', 'b', 'c']) {
        tcc.expectStale(n, 'confirm', 1);
        tcc.expectStale(n, 'try', 1);
        tcc.expectStale(n, 'cancel', 1);
      }
    });

    it('rejects results once the transaction was resolved', () => {
      const tcc = confirming();
      tcc.answer('a', misconfigured());
      tcc.answer('b', ok());
      tcc.answer('c', ok());
      tcc.send({ type: 'resolve' });
      tcc.expectStale('a', 'confirm', 1);
      tcc.expectStale('a', 'confirm', 2);
    });
  });
});
