import fc from 'fast-check';
import { compileSpec } from '../definition/definition.compile';
import type { Plan } from '../definition/plan';
import type { CallCommand, Decision, MachineEvent } from '../machine/machine.types';
import type { Outcome } from '../outcome/outcome.classify';
import type { Phase } from '../phase';
import { decideSaga } from './saga.machine';
import { isTerminal } from '../machine/transaction.state';
import { initialSagaState, type SagaState } from './saga.state';

/**
 * Random plans driven by random schedules: a simulator answers outstanding
 * calls in any order with any outcome, replays duplicates and stale results,
 * fires the deadline and aborts, and checks the saga's invariants after every
 * event and at the end.
 */

// ---- generators --------------------------------------------------------------

interface StepShape {
  /** undefined: follow the previous step; otherwise indices into earlier steps. */
  deps: number[] | undefined;
  comp: boolean;
  maxAttempts: number;
}

interface Shape {
  steps: StepShape[];
  pivot: number | undefined;
  deadline: boolean;
}

const shapeArb: fc.Arbitrary<Shape> = fc.integer({ min: 1, max: 6 }).chain((n) =>
  fc.record({
    steps: fc.array(
      fc.record({
        deps: fc.option(fc.uniqueArray(fc.nat({ max: 5 }), { maxLength: 3 }), { nil: undefined, freq: 2 }),
        comp: fc.boolean(),
        maxAttempts: fc.integer({ min: 1, max: 3 }),
      }),
      { minLength: n, maxLength: n },
    ),
    pivot: fc.option(fc.nat({ max: n - 1 }), { nil: undefined, freq: 2 }),
    deadline: fc.boolean(),
  }),
);

type OutcomeKind = 'ok' | 'refused' | 'retry' | 'misconfigured';
const outcomeKindArb: fc.Arbitrary<OutcomeKind> = fc.oneof(
  { arbitrary: fc.constant('ok' as const), weight: 4 },
  { arbitrary: fc.constant('retry' as const), weight: 2 },
  { arbitrary: fc.constant('refused' as const), weight: 1 },
  { arbitrary: fc.constant('misconfigured' as const), weight: 1 },
);

type Move =
  | { kind: 'answer'; pick: number; outcome: OutcomeKind; dt: number; retryAfter?: number }
  | { kind: 'stale'; pick: number; variant: 'issued' | 'attempt+1' | 'attempt-1' | 'phase'; outcome: OutcomeKind }
  | { kind: 'deadline'; late: boolean }
  | { kind: 'abort' };

const moveArb: fc.Arbitrary<Move> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        kind: fc.constant('answer' as const),
        pick: fc.nat(),
        outcome: outcomeKindArb,
        dt: fc.integer({ min: 0, max: 50 }),
        retryAfter: fc.integer({ min: 0, max: 5_000 }),
      },
      { requiredKeys: ['kind', 'pick', 'outcome', 'dt'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('stale' as const),
      pick: fc.nat(),
      variant: fc.constantFrom('issued' as const, 'attempt+1' as const, 'attempt-1' as const, 'phase' as const),
      outcome: outcomeKindArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deadline' as const), late: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const) }) },
);

const scheduleArb = fc.record({
  moves: fc.array(moveArb, { maxLength: 60 }),
  /** Outcomes used, in a cycle, to drain what is still outstanding after the moves. */
  drain: fc.array(outcomeKindArb, { minLength: 1, maxLength: 8 }),
});

// ---- building plans ----------------------------------------------------------

const DEADLINE_AT = 1_000;
const stepName = (i: number) => `s${i}`;

function planOf(shape: Shape): Plan {
  const steps = shape.steps.map((s, i) => {
    const deps = s.deps === undefined ? undefined : [...new Set(s.deps.filter((d) => d < i))].map(stepName);
    const effective = deps ?? (i === 0 ? [] : [stepName(i - 1)]);
    return {
      name: stepName(i),
      ...(deps ? { dependsOn: deps } : {}),
      ...(shape.pivot === i ? { pivot: true } : {}),
      // exercise input rendering: read the first dependency's output
      ...(effective.length > 0 ? { input: { from: `{{steps.${effective[0]}.output.v}}`, tx: '{{transaction.id}}' } } : {}),
      retry: { maxAttempts: s.maxAttempts, initialDelayMs: 10, maxDelayMs: 100, jitter: true },
      action: { url: `http://p/${i}/do` },
      ...(s.comp ? { compensation: { url: `http://p/${i}/undo` } } : {}),
    };
  });
  const compiled = compileSpec({ type: 'saga', ...(shape.deadline ? { timeoutMs: DEADLINE_AT } : {}), steps });
  if (!compiled.ok) throw new Error(`generated an invalid plan: ${JSON.stringify(compiled.issues)}`);
  return compiled.value.plan;
}

function descendantsOf(plan: Plan): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const step of plan.steps) {
    const seen = new Set<string>();
    const todo = plan.steps.filter((d) => d.deps.includes(step.name)).map((d) => d.name);
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...plan.steps.filter((d) => d.deps.includes(next)).map((d) => d.name));
    }
    result.set(step.name, seen);
  }
  return result;
}

// ---- the simulator -------------------------------------------------------------

const resultOf = (c: { step: string; phase: Phase; attempt: number }, outcome: Outcome): MachineEvent => ({
  type: 'result',
  step: c.step,
  phase: c.phase,
  attempt: c.attempt,
  outcome,
});

function check(condition: boolean, what: string, context?: unknown): asserts condition {
  if (!condition) throw new Error(`${what}${context === undefined ? '' : `: ${JSON.stringify(context)}`}`);
}

const key = (c: { step: string; phase: Phase; attempt: number }) => `${c.step}/${c.phase}/${c.attempt}`;

class Simulator {
  state: SagaState;
  now = 0;
  seq = 0;
  random = 0.5;
  readonly issued: CallCommand[] = [];
  readonly issuedKeys = new Set<string>();
  readonly answered: { step: string; phase: Phase; attempt: number }[] = [];
  /** Steps whose action may have taken effect, tracked independently of the machine. */
  readonly mayHaveApplied = new Set<string>();
  readonly firstCompensationAt = new Map<string, number>();
  readonly compensatedAt = new Map<string, number>();
  readonly okOutputs = new Map<string, unknown>();
  everPivot = false;
  readonly descendants: Map<string, Set<string>>;
  readonly compensable: Set<string>;

  constructor(readonly plan: Plan) {
    this.state = initialSagaState('tx-p', { order: 1 }, plan.steps.map((s) => s.name), plan.timeoutMs === null ? null : plan.timeoutMs);
    this.descendants = descendantsOf(plan);
    this.compensable = new Set(plan.steps.filter((s) => s.endpoints.compensation).map((s) => s.name));
  }

  live(): { step: string; phase: Phase; attempt: number }[] {
    return this.state.steps.filter((s) => s.dueAt !== null).map((s) => ({ step: s.name, phase: s.phase!, attempt: s.attempt }));
  }

  send(event: MachineEvent): Decision<SagaState> {
    const before = this.state;
    const frozen = JSON.stringify(before);
    const decision = decideSaga(this.plan, before, event, { now: this.now, random: () => this.random });
    check(JSON.stringify(before) === frozen, 'decideSaga mutated its input state');
    if (decision.rejected) {
      check(decision.state === before && decision.commands.length === 0, 'a rejected event changed the state or issued calls', decision);
      return decision;
    }
    this.seq++;
    this.state = decision.state;
    this.track(event, before, decision);
    this.checkInvariants(before, decision);
    return decision;
  }

  private track(event: MachineEvent, before: SagaState, decision: Decision<SagaState>): void {
    const after = decision.state;
    if (event.type === 'result') {
      this.answered.push({ step: event.step, phase: event.phase, attempt: event.attempt });
      if (event.phase === 'action' && (event.outcome.type === 'ok' || event.outcome.type === 'retry')) this.mayHaveApplied.add(event.step);
      if (event.phase === 'action' && event.outcome.type === 'ok') this.okOutputs.set(event.step, event.outcome.output);
    }
    if (before.status === 'RUNNING' && after.status !== 'RUNNING' && after.direction === 'backward') {
      // rollback: an action call that was outstanding may have run
      for (const s of before.steps) {
        if (s.dueAt !== null && s.phase === 'action' && !(event.type === 'result' && event.step === s.name)) this.mayHaveApplied.add(s.name);
      }
    }
    for (const s of after.steps) {
      const prev = before.steps.find((p) => p.name === s.name)!;
      if (s.status === 'COMPENSATED' && prev.status !== 'COMPENSATED') this.compensatedAt.set(s.name, this.seq);
    }
    for (const c of decision.commands) {
      if (c.phase === 'compensation' && !this.firstCompensationAt.has(c.step)) this.firstCompensationAt.set(c.step, this.seq);
    }
  }

  private checkInvariants(before: SagaState, decision: Decision<SagaState>): void {
    const after = decision.state;
    const byName = new Map(after.steps.map((s) => [s.name, s]));

    // pivotPassed never flips back
    check(!before.pivotPassed || after.pivotPassed, 'pivotPassed flipped back');
    this.everPivot ||= after.pivotPassed;

    for (const c of decision.commands) {
      const planned = this.plan.steps.find((s) => s.name === c.step)!;
      const step = byName.get(c.step)!;
      // call ids are unique: the shell builds job ids from (step, phase, attempt)
      check(!this.issuedKeys.has(key(c)), 'the same call (step, phase, attempt) was issued twice', c);
      check(c.dueAt >= this.now, 'a call is due in the past', c);
      check(c.phase === 'action' || c.phase === 'compensation', 'a saga issued a TCC phase', c);
      // the command is the step's outstanding call
      check(step.phase === c.phase && step.attempt === c.attempt && step.dueAt === c.dueAt, 'command and step state disagree', { c, step });
      // an attempt never exceeds the budget it was scheduled under
      const used = c.attempt - step.attemptBase;
      check(used >= 1 && used <= planned.retry.maxAttempts, 'an attempt outside its retry budget', { c, step });
      if (c.phase === 'action') {
        check(after.status === 'RUNNING', 'an action issued while not RUNNING', { c, after });
        check(planned.deps.every((d) => byName.get(d)!.status === 'SUCCEEDED'), 'an action issued before its dependencies succeeded', c);
        if (c.attempt === 1) {
          // input rendered from the dependency's output
          if (planned.deps.length > 0) {
            const dep = this.okOutputs.get(planned.deps[0]) as { v: string };
            check(JSON.stringify(step.input) === JSON.stringify({ from: dep.v, tx: 'tx-p' }), 'input not rendered from the dependency output', step);
          } else {
            check(JSON.stringify(step.input) === JSON.stringify({ order: 1 }), 'a step without a template did not get the transaction input', step);
          }
        }
      } else {
        check(after.status === 'COMPENSATING', 'a compensation issued while not COMPENSATING', { c, after });
        // never compensate after the point of no return
        check(!this.everPivot, 'a compensation issued after the pivot', c);
        // only steps that have a compensation and whose action was called
        check(this.compensable.has(c.step), 'a compensation issued for a step without one', c);
        check(this.issued.some((i) => i.step === c.step && i.phase === 'action'), 'a compensation issued for a step whose action was never called', c);
        check(this.mayHaveApplied.has(c.step), 'a compensation issued for a step known not to have applied', c);
        // reverse dependency order: no descendant still waits for its compensation
        for (const d of this.descendants.get(c.step)!) {
          const status = byName.get(d)!.status;
          check(status !== 'COMPENSATING' && status !== 'STUCK', `compensation of ${c.step} issued before its dependent ${d} was compensated`, after);
        }
      }
      this.issued.push(c);
      this.issuedKeys.add(key(c));
    }

    // every outstanding call is the last one issued for its step
    for (const s of after.steps) {
      if (s.dueAt === null) continue;
      const last = this.issued.findLast((c) => c.step === s.name)!;
      check(last.phase === s.phase && last.attempt === s.attempt && last.dueAt === s.dueAt, 'the outstanding call is not the last one issued', { last, s });
      check(s.status === 'RUNNING' || s.status === 'COMPENSATING', 'a call is outstanding for a settled step', s);
    }

    const anyDue = after.steps.some((s) => s.dueAt !== null);
    const inFlight = after.status === 'RUNNING' || after.status === 'COMPENSATING';
    check(inFlight === anyDue, inFlight ? 'in flight with nothing outstanding' : 'a call is outstanding in a settled saga', after);
    if (after.status === 'RUNNING') check(after.direction === 'forward', 'RUNNING backwards', after);
    if (after.status === 'COMPENSATING') check(after.direction === 'backward', 'COMPENSATING forwards', after);
    if (after.status === 'STUCK') check(after.steps.some((s) => s.status === 'STUCK'), 'STUCK without a STUCK step', after);
    if (after.direction === 'backward') {
      check(!after.steps.some((s) => s.status === 'RUNNING' || s.status === 'PENDING'), 'a step still going forward during rollback', after);
    }
  }

  outcome(kind: OutcomeKind, step: string, attempt: number, retryAfter?: number): Outcome {
    switch (kind) {
      case 'ok':
        return { type: 'ok', output: { v: `${step}@${attempt}` } };
      case 'refused':
        return { type: 'refused', status: 409 };
      case 'retry':
        return retryAfter === undefined ? { type: 'retry' } : { type: 'retry', retryAfterMs: retryAfter };
      case 'misconfigured':
        return { type: 'misconfigured', status: 400 };
    }
  }

  answer(call: { step: string; phase: Phase; attempt: number }, kind: OutcomeKind, retryAfter?: number): void {
    const decision = this.send(resultOf(call, this.outcome(kind, call.step, call.attempt, retryAfter)));
    check(decision.rejected === undefined, 'the answer to an outstanding call was rejected', decision);
  }

  expectStale(call: { step: string; phase: Phase; attempt: number }, kind: OutcomeKind): void {
    const before = this.state;
    const decision = this.send(resultOf(call, this.outcome(kind, call.step, call.attempt)));
    check(decision.rejected === 'stale' && this.state === before, 'a stale or duplicate result was not rejected as stale', { call, decision });
  }

  /** Answers outstanding calls until none is left; returns false if it did not settle. */
  drain(kinds: OutcomeKind[], bound = 500): boolean {
    for (let i = 0; i < bound; i++) {
      const live = this.live();
      if (live.length === 0) return true;
      this.now += 7;
      this.answer(live[i % live.length], kinds[i % kinds.length]);
    }
    return this.live().length === 0;
  }

  apply(move: Move): void {
    const live = this.live();
    switch (move.kind) {
      case 'answer': {
        if (live.length === 0) return;
        this.now += move.dt;
        this.random = (move.pick % 1000) / 1000;
        this.answer(live[move.pick % live.length], move.outcome, move.retryAfter);
        return;
      }
      case 'stale': {
        if (move.variant === 'issued') {
          const liveKeys = new Set(live.map(key));
          const old = this.issued.filter((c) => !liveKeys.has(key(c)));
          if (old.length > 0) this.expectStale(old[move.pick % old.length], move.outcome);
          return;
        }
        if (live.length === 0) return;
        const target = live[move.pick % live.length];
        if (move.variant === 'attempt+1') this.expectStale({ ...target, attempt: target.attempt + 1 }, move.outcome);
        else if (move.variant === 'attempt-1') this.expectStale({ ...target, attempt: target.attempt - 1 }, move.outcome);
        else this.expectStale({ ...target, phase: target.phase === 'action' ? 'compensation' : 'action' }, move.outcome);
        return;
      }
      case 'deadline': {
        if (move.late) this.now = Math.max(this.now, DEADLINE_AT);
        const before = this.state;
        const applies = before.status === 'RUNNING' && !before.pivotPassed && before.deadlineAt !== null;
        const decision = this.send({ type: 'deadline' });
        if (applies && this.now >= before.deadlineAt!) {
          expect(decision.rejected).toBeUndefined();
          expect(this.state.direction).toBe('backward');
          expect(['COMPENSATING', 'COMPENSATED']).toContain(this.state.status);
        } else {
          expect(decision.rejected).toBe(applies ? 'stale' : 'invalid-state');
        }
        return;
      }
      case 'abort': {
        const before = this.state;
        const decision = this.send({ type: 'abort' });
        if (before.status === 'RUNNING' && !before.pivotPassed) {
          expect(decision.rejected).toBeUndefined();
          expect(['COMPENSATING', 'COMPENSATED']).toContain(this.state.status);
        } else if (before.status === 'COMPENSATING') {
          expect(decision.rejected).toBeUndefined();
          expect(decision.commands).toEqual([]);
          expect(this.state).toEqual(before);
        } else {
          expect(decision.rejected).toBe('invalid-state');
        }
        return;
      }
    }
  }

  /** Checks a saga with nothing outstanding. */
  checkSettled(): void {
    const { status, steps } = this.state;
    expect(['COMPLETED', 'COMPENSATED', 'STUCK']).toContain(status);
    expect(steps.every((s) => s.dueAt === null)).toBe(true);
    const compensationCalled = (name: string) => this.issued.some((c) => c.step === name && c.phase === 'compensation');
    const actionCalled = (name: string) => this.issued.some((c) => c.step === name && c.phase === 'action');

    if (status === 'COMPLETED') {
      expect(steps.every((s) => s.status === 'SUCCEEDED')).toBe(true);
      expect(this.issued.some((c) => c.phase === 'compensation')).toBe(false);
    }
    if (status === 'COMPENSATED') {
      for (const s of steps) {
        // compensated exactly the steps that have a compensation and may have applied
        const expected = this.compensable.has(s.name) && this.mayHaveApplied.has(s.name);
        expect([s.name, s.status === 'COMPENSATED']).toEqual([s.name, expected]);
        expect(['FAILED', 'SKIPPED', 'COMPENSATED', 'SUCCEEDED']).toContain(s.status);
        if (s.status === 'SUCCEEDED') expect(this.compensable.has(s.name)).toBe(false);
        if (s.status === 'SKIPPED') expect(actionCalled(s.name)).toBe(false);
        if (!actionCalled(s.name)) expect(s.status).toBe('SKIPPED');
      }
    }
    if (status === 'STUCK') {
      expect(steps.some((s) => s.status === 'STUCK')).toBe(true);
      if (this.state.direction === 'forward') {
        expect(this.state.pivotPassed).toBe(true);
        expect(this.issued.some((c) => c.phase === 'compensation')).toBe(false);
      }
    }
    for (const s of steps) {
      if (s.status === 'COMPENSATED' || s.status === 'COMPENSATING') expect(this.mayHaveApplied.has(s.name)).toBe(true);
      if (compensationCalled(s.name)) expect(actionCalled(s.name)).toBe(true);
    }
    // reverse dependency order over the whole history
    for (const [name, at] of this.firstCompensationAt) {
      for (const d of this.descendants.get(name)!) {
        if (!this.firstCompensationAt.has(d)) continue;
        expect([name, d, this.compensatedAt.get(d) ?? Infinity]).toEqual([name, d, expect.any(Number)]);
        expect(this.compensatedAt.get(d)!).toBeLessThanOrEqual(at);
      }
    }
  }

  /** Every call issued so far, delivered again, is stale and changes nothing. */
  replayEverything(): void {
    const liveKeys = new Set(this.live().map(key));
    for (const c of this.issued) {
      if (liveKeys.has(key(c))) continue;
      for (const kind of ['ok', 'refused', 'retry', 'misconfigured'] as const) this.expectStale(c, kind);
    }
  }
}

// ---- properties ----------------------------------------------------------------

const RUNS = Number(process.env.ACCORD_PROPERTY_RUNS ?? 2_000);

describe(`${decideSaga.name} (properties)`, () => {
  it('settles in a terminal status or STUCK and keeps every invariant under random schedules', () => {
    fc.assert(
      fc.property(shapeArb, scheduleArb, (shape, { moves, drain }) => {
        const sim = new Simulator(planOf(shape));
        const started = sim.send({ type: 'start' });
        expect(started.rejected).toBeUndefined();
        expect(sim.send({ type: 'start' }).rejected).toBe('invalid-state');
        for (const move of moves) sim.apply(move);
        expect(sim.drain(drain)).toBe(true);
        sim.checkSettled();
        sim.replayEverything();
        expect(sim.send({ type: 'abort' }).rejected).toBe(sim.state.status === 'STUCK' || isTerminal(sim.state.status) ? 'invalid-state' : undefined);

        if (sim.state.status === 'STUCK') {
          // resolving closes it for good
          const resolved = decideSaga(sim.plan, sim.state, { type: 'resolve', note: 'by hand' }, { now: sim.now, random: () => 0 });
          expect(resolved.rejected).toBeUndefined();
          expect(resolved.state.status).toBe('RESOLVED');
          expect(resolved.state.steps.every((s) => s.dueAt === null)).toBe(true);

          // operator retry with participants that now always answer ok
          const direction = sim.state.direction;
          const retried = sim.send({ type: 'retry' });
          expect(retried.rejected).toBeUndefined();
          expect(retried.commands.length).toBeGreaterThan(0);
          for (const c of retried.commands) {
            const step = sim.state.steps.find((s) => s.name === c.step)!;
            // a fresh budget: the first call after the retry counts as attempt 1 of it
            expect(c.attempt - step.attemptBase).toBe(1);
          }
          expect(sim.drain(['ok'])).toBe(true);
          const final: string = sim.state.status;
          expect(final).toBe(direction === 'forward' ? 'COMPLETED' : 'COMPENSATED');
          sim.checkSettled();
          sim.replayEverything();
        }
        expect(sim.send({ type: 'retry' }).rejected).toBe('invalid-state');
      }),
      { numRuns: RUNS },
    );
  });

  it('completes every plan when every call eventually succeeds, in dependency order', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (shape, picks) => {
        const sim = new Simulator(planOf(shape));
        sim.send({ type: 'start' });
        const succeeded: string[] = [];
        for (let i = 0; sim.live().length > 0 && i < 200; i++) {
          const live = sim.live();
          const target = live[picks[i % picks.length] % live.length];
          sim.answer(target, 'ok');
          succeeded.push(target.step);
        }
        expect(sim.state.status).toBe('COMPLETED');
        expect(sim.issued.every((c) => c.phase === 'action' && c.attempt === 1)).toBe(true);
        for (const step of sim.plan.steps) {
          for (const dep of step.deps) expect(succeeded.indexOf(dep)).toBeLessThan(succeeded.indexOf(step.name));
        }
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it('rolls back to COMPENSATED when one action is refused and every compensation succeeds (no pivot)', () => {
    fc.assert(
      fc.property(
        shapeArb.map((s) => ({ ...s, pivot: undefined })),
        fc.nat(),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        (shape, victim, picks) => {
          const sim = new Simulator(planOf(shape));
          sim.send({ type: 'start' });
          const doomed = stepName(victim % shape.steps.length);
          for (let i = 0; sim.live().length > 0 && i < 200; i++) {
            const live = sim.live();
            const target = live[picks[i % picks.length] % live.length];
            sim.answer(target, target.step === doomed && target.phase === 'action' ? 'refused' : 'ok');
          }
          expect(sim.state.status).toBe('COMPENSATED');
          expect(sim.state.steps.find((s) => s.name === doomed)!.status).toBe('FAILED');
          sim.checkSettled();
        },
      ),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });
});
