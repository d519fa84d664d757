import fc from 'fast-check';
import { compileSpec } from '../definition/definition.compile';
import type { Plan } from '../definition/plan';
import type { CallCommand, Decision, MachineEvent } from '../machine/machine.types';
import { isTerminal } from '../machine/transaction.state';
import type { Outcome } from '../outcome/outcome.classify';
import type { Phase } from '../phase';
import { decideTcc } from './tcc.machine';
import { initialTccState, type TccState } from './tcc.state';

/**
 * Random TCC plans driven by random schedules: a simulator answers
 * outstanding calls in any order with any outcome, replays duplicates and
 * stale results (late tries after the decision included), fires the deadline
 * and aborts, and checks the TCC invariants after every event and at the end.
 * The simulator keeps its own record of what was called and answered, so the
 * checks do not trust the machine's bookkeeping.
 */

// ---- generators --------------------------------------------------------------

interface BranchShape {
  /** undefined: follow the previous branch; otherwise indices into earlier branches. */
  deps: number[] | undefined;
  maxAttempts: number;
}

interface Shape {
  branches: BranchShape[];
  deadline: boolean;
}

const shapeArb: fc.Arbitrary<Shape> = fc.integer({ min: 1, max: 5 }).chain((n) =>
  fc.record({
    branches: fc.array(
      fc.record({
        deps: fc.option(fc.uniqueArray(fc.nat({ max: 4 }), { maxLength: 3 }), { nil: undefined, freq: 2 }),
        maxAttempts: fc.integer({ min: 1, max: 3 }),
      }),
      { minLength: n, maxLength: n },
    ),
    deadline: fc.boolean(),
  }),
);

type OutcomeKind = 'ok' | 'refused' | 'retry' | 'misconfigured';
const outcomeKindArb: fc.Arbitrary<OutcomeKind> = fc.oneof(
  { arbitrary: fc.constant('ok' as const), weight: 5 },
  { arbitrary: fc.constant('retry' as const), weight: 2 },
  { arbitrary: fc.constant('refused' as const), weight: 1 },
  { arbitrary: fc.constant('misconfigured' as const), weight: 1 },
);

const PHASES_TCC: Phase[] = ['try', 'confirm', 'cancel'];

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
  moves: fc.array(moveArb, { maxLength: 50 }),
  /** Outcomes used, in a cycle, to drain what is still outstanding after the moves. */
  drain: fc.array(outcomeKindArb, { minLength: 1, maxLength: 8 }),
});

// ---- building plans ----------------------------------------------------------

const DEADLINE_AT = 1_000;
const branchName = (i: number) => `b${i}`;

function planOf(shape: Shape): Plan {
  const steps = shape.branches.map((b, i) => {
    const deps = b.deps === undefined ? undefined : [...new Set(b.deps.filter((d) => d < i))].map(branchName);
    return {
      name: branchName(i),
      ...(deps ? { dependsOn: deps } : {}),
      retry: { maxAttempts: b.maxAttempts, initialDelayMs: 10, maxDelayMs: 100, jitter: true },
      try: { url: `http://p/${i}/try` },
      confirm: { url: `http://p/${i}/confirm` },
      cancel: { url: `http://p/${i}/cancel` },
    };
  });
  const compiled = compileSpec({ type: 'tcc', ...(shape.deadline ? { timeoutMs: DEADLINE_AT } : {}), steps });
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

type CallId = { step: string; phase: Phase; attempt: number };

const resultOf = (c: CallId, outcome: Outcome): MachineEvent => ({ type: 'result', step: c.step, phase: c.phase, attempt: c.attempt, outcome });
const key = (c: CallId) => `${c.step}/${c.phase}/${c.attempt}`;

function check(condition: boolean, what: string, context?: unknown): asserts condition {
  if (!condition) throw new Error(`${what}${context === undefined ? '' : `: ${JSON.stringify(context)}`}`);
}

class Simulator {
  state: TccState;
  now = 0;
  seq = 0;
  random = 0.5;
  readonly issued: CallCommand[] = [];
  readonly issuedKeys = new Set<string>();
  readonly tryIssued = new Set<string>();
  readonly trySucceeded = new Set<string>();
  readonly firstCancelAt = new Map<string, number>();
  readonly cancelledAt = new Map<string, number>();
  /** The decision as first seen; it must never change. */
  decision: 'forward' | 'backward' | null = null;
  readonly descendants: Map<string, Set<string>>;

  constructor(readonly plan: Plan) {
    this.state = initialTccState('tx-p', { order: 1 }, plan.steps.map((s) => s.name), plan.timeoutMs);
    this.descendants = descendantsOf(plan);
  }

  live(): CallId[] {
    return this.state.steps.filter((s) => s.dueAt !== null).map((s) => ({ step: s.name, phase: s.phase!, attempt: s.attempt }));
  }

  send(event: MachineEvent): Decision<TccState> {
    const before = this.state;
    const frozen = JSON.stringify(before);
    const decision = decideTcc(this.plan, before, event, { now: this.now, random: () => this.random });
    check(JSON.stringify(before) === frozen, 'decideTcc mutated its input state');
    if (decision.rejected) {
      check(decision.state === before && decision.commands.length === 0, 'a rejected event changed the state or issued calls', decision);
      return decision;
    }
    this.seq++;
    this.state = decision.state;
    if (event.type === 'result' && event.phase === 'try' && event.outcome.type === 'ok') this.trySucceeded.add(event.step);
    if (event.type === 'result') this.checkResult(event, before, decision.state);
    this.checkInvariants(before, decision);
    return decision;
  }

  /** What one accepted answer must do to its branch, by the contract's response table. */
  private checkResult(event: Extract<MachineEvent, { type: 'result' }>, before: TccState, after: TccState): void {
    const step = after.steps.find((s) => s.name === event.step)!;
    const budget = this.plan.steps.find((s) => s.name === event.step)!.retry.maxAttempts;
    const prev = before.steps.find((s) => s.name === event.step)!;
    const spent = event.attempt - prev.attemptBase >= budget;
    const kind = event.outcome.type;
    const ctx = { event, step, after };
    if (event.phase === 'try') {
      check(before.status === 'TRYING', 'a try answer accepted after the decision', ctx);
      if (kind === 'ok') {
        check(step.status === 'SUCCEEDED' || step.status === 'CONFIRMING', 'a successful try did not succeed', ctx);
      } else if (kind === 'retry' && !spent) {
        check(step.status === 'TRYING' && step.phase === 'try' && step.attempt === event.attempt + 1, 'a retryable try was not retried', ctx);
        check(after.status === 'TRYING', 'a retryable try within budget decided', ctx);
      } else {
        check(after.pivotPassed && after.direction === 'backward', 'a refused or exhausted try did not cancel', ctx);
      }
      return;
    }
    const done = event.phase === 'confirm' ? 'CONFIRMED' : 'CANCELLED';
    if (kind === 'ok') check(step.status === done, `a successful ${event.phase} did not finish the branch`, ctx);
    else if (kind === 'retry' && !spent) {
      check(step.phase === event.phase && step.attempt === event.attempt + 1 && step.dueAt !== null, `a retryable ${event.phase} was not retried`, ctx);
    } else check(step.status === 'STUCK' && step.dueAt === null, `a refused or exhausted ${event.phase} did not leave the branch STUCK`, ctx);
  }

  private checkInvariants(before: TccState, decision: Decision<TccState>): void {
    const after = decision.state;
    const byName = new Map(after.steps.map((s) => [s.name, s]));

    // the decision is made once and never flips
    if (before.pivotPassed) check(after.pivotPassed, 'pivotPassed flipped back', after);
    if (after.pivotPassed) {
      if (this.decision === null) this.decision = after.direction;
      check(after.direction === this.decision, 'the decision flipped', { decision: this.decision, after });
    } else {
      check(after.direction === 'forward', 'a direction without a decision', after);
      check(after.status === 'TRYING', 'left TRYING without a decision', after);
    }

    for (const s of after.steps) {
      const prev = before.steps.find((p) => p.name === s.name)!;
      if (s.status === 'CANCELLED' && prev.status !== 'CANCELLED') this.cancelledAt.set(s.name, this.seq);
    }

    for (const c of decision.commands) {
      const planned = this.plan.steps.find((s) => s.name === c.step)!;
      const step = byName.get(c.step)!;
      check(!this.issuedKeys.has(key(c)), 'the same call (step, phase, attempt) was issued twice', c);
      check(c.dueAt >= this.now, 'a call is due in the past', c);
      check(PHASES_TCC.includes(c.phase), 'a TCC transaction issued a saga phase', c);
      check(step.phase === c.phase && step.attempt === c.attempt && step.dueAt === c.dueAt, 'command and step state disagree', { c, step });
      const used = c.attempt - step.attemptBase;
      check(used >= 1 && used <= planned.retry.maxAttempts, 'an attempt outside its retry budget', { c, step });
      switch (c.phase) {
        case 'try':
          check(after.status === 'TRYING' && !after.pivotPassed, 'a try issued after the decision', { c, after });
          check(planned.deps.every((d) => this.trySucceeded.has(d)), 'a try issued before its dependencies succeeded', c);
          this.tryIssued.add(c.step);
          break;
        case 'confirm':
          check(this.decision === 'forward', 'a confirm issued without the confirm decision', { c, after });
          check(after.status === 'CONFIRMING', 'a confirm issued while not CONFIRMING', { c, after });
          check(this.plan.steps.every((s) => this.trySucceeded.has(s.name)), 'a confirm issued before every try succeeded', c);
          check(!this.issued.some((i) => i.phase === 'cancel'), 'a confirm issued after a cancel', c);
          break;
        case 'cancel':
          check(this.decision === 'backward', 'a cancel issued without the cancel decision', { c, after });
          check(after.status === 'CANCELLING', 'a cancel issued while not CANCELLING', { c, after });
          check(this.tryIssued.has(c.step), 'a cancel issued for a branch whose try was never issued', c);
          check(!this.issued.some((i) => i.phase === 'confirm'), 'a cancel issued after a confirm', c);
          // reverse dependency order: every tried dependent is already cancelled
          for (const d of this.descendants.get(c.step)!) {
            if (!this.tryIssued.has(d)) continue;
            check(byName.get(d)!.status === 'CANCELLED', `cancel of ${c.step} issued before its dependent ${d} was cancelled`, after);
          }
          if (!this.firstCancelAt.has(c.step)) this.firstCancelAt.set(c.step, this.seq);
          break;
        default:
          break;
      }
      this.issued.push(c);
      this.issuedKeys.add(key(c));
    }

    // every outstanding call is the last one issued for its step
    for (const s of after.steps) {
      if (s.dueAt === null) continue;
      const last = this.issued.findLast((c) => c.step === s.name)!;
      check(last.phase === s.phase && last.attempt === s.attempt && last.dueAt === s.dueAt, 'the outstanding call is not the last one issued', { last, s });
      check(['TRYING', 'CONFIRMING', 'CANCELLING'].includes(s.status), 'a call is outstanding for a settled branch', s);
    }

    const anyDue = after.steps.some((s) => s.dueAt !== null);
    const inFlight = after.status === 'TRYING' || after.status === 'CONFIRMING' || after.status === 'CANCELLING';
    check(inFlight === anyDue, inFlight ? 'in flight with nothing outstanding' : 'a call is outstanding in a settled transaction', after);
    if (after.status === 'CONFIRMING') check(after.direction === 'forward', 'CONFIRMING with a cancel decision', after);
    if (after.status === 'CANCELLING') check(after.direction === 'backward', 'CANCELLING with a confirm decision', after);
    if (after.status === 'STUCK') check(after.steps.some((s) => s.status === 'STUCK'), 'STUCK without a STUCK branch', after);
    if (after.pivotPassed) {
      // after the decision nothing is tried any more
      check(!after.steps.some((s) => ['PENDING', 'TRYING', 'SUCCEEDED', 'FAILED'].includes(s.status)), 'a branch left in phase one after the decision', after);
    }
    if (after.pivotPassed && after.direction === 'backward') {
      for (const s of after.steps) check((s.status === 'SKIPPED') === !this.tryIssued.has(s.name), 'skipped a tried branch or kept an untried one', s);
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

  answer(c: CallId, kind: OutcomeKind, retryAfter?: number): void {
    const decision = this.send(resultOf(c, this.outcome(kind, c.step, c.attempt, retryAfter)));
    check(decision.rejected === undefined, 'the answer to an outstanding call was rejected', decision);
  }

  expectStale(c: CallId, kind: OutcomeKind): void {
    const before = this.state;
    const decision = this.send(resultOf(c, this.outcome(kind, c.step, c.attempt)));
    check(decision.rejected === 'stale' && this.state === before, 'a stale or duplicate result was not rejected as stale', { c, decision });
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
          // duplicates of answered calls, and late answers to tries abandoned by the decision
          const liveKeys = new Set(live.map(key));
          const old = this.issued.filter((c) => !liveKeys.has(key(c)));
          if (old.length > 0) this.expectStale(old[move.pick % old.length], move.outcome);
          return;
        }
        if (live.length === 0) return;
        const target = live[move.pick % live.length];
        if (move.variant === 'attempt+1') this.expectStale({ ...target, attempt: target.attempt + 1 }, move.outcome);
        else if (move.variant === 'attempt-1') this.expectStale({ ...target, attempt: target.attempt - 1 }, move.outcome);
        else {
          const others = [...PHASES_TCC.filter((p) => p !== target.phase), 'action' as const];
          this.expectStale({ ...target, phase: others[move.pick % others.length] }, move.outcome);
        }
        return;
      }
      case 'deadline': {
        if (move.late) this.now = Math.max(this.now, DEADLINE_AT);
        const before = this.state;
        const applies = before.status === 'TRYING' && before.deadlineAt !== null;
        const decision = this.send({ type: 'deadline' });
        if (applies && this.now >= before.deadlineAt!) {
          expect(decision.rejected).toBeUndefined();
          expect(this.state).toMatchObject({ status: 'CANCELLING', direction: 'backward', pivotPassed: true });
          // every branch whose try was sent is being cancelled, answered or not
          for (const s of this.state.steps) expect([s.name, s.status]).toEqual([s.name, this.tryIssued.has(s.name) ? 'CANCELLING' : 'SKIPPED']);
        } else {
          expect(decision.rejected).toBe(applies ? 'stale' : 'invalid-state');
        }
        return;
      }
      case 'abort': {
        const before = this.state;
        const decision = this.send({ type: 'abort' });
        if (before.status === 'TRYING') {
          expect(decision.rejected).toBeUndefined();
          expect(this.state).toMatchObject({ status: 'CANCELLING', direction: 'backward', pivotPassed: true });
        } else if (before.status === 'CANCELLING') {
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

  /** Checks a transaction with nothing outstanding. */
  checkSettled(): void {
    const { status, steps } = this.state;
    expect(['CONFIRMED', 'CANCELLED', 'STUCK']).toContain(status);
    expect(steps.every((s) => s.dueAt === null)).toBe(true);
    expect(this.state.pivotPassed).toBe(true);
    const phases = new Set(this.issued.map((c) => c.phase));
    expect(phases.has('confirm') && phases.has('cancel')).toBe(false);

    if (status === 'CONFIRMED') {
      expect(this.state.direction).toBe('forward');
      expect(steps.every((s) => s.status === 'CONFIRMED')).toBe(true);
      expect(this.plan.steps.every((s) => this.trySucceeded.has(s.name))).toBe(true);
      expect(phases.has('cancel')).toBe(false);
    }
    if (status === 'CANCELLED') {
      expect(this.state.direction).toBe('backward');
      expect(phases.has('confirm')).toBe(false);
      // exactly the tried branches were cancelled, the rest skipped
      for (const s of steps) expect([s.name, s.status]).toEqual([s.name, this.tryIssued.has(s.name) ? 'CANCELLED' : 'SKIPPED']);
    }
    if (status === 'STUCK') {
      expect(steps.some((s) => s.status === 'STUCK')).toBe(true);
      if (this.state.direction === 'forward') expect(phases.has('cancel')).toBe(false);
      else expect(phases.has('confirm')).toBe(false);
    }
    // reverse dependency order over the whole history
    for (const [name, at] of this.firstCancelAt) {
      for (const d of this.descendants.get(name)!) {
        if (!this.tryIssued.has(d)) continue;
        expect([name, d, this.cancelledAt.has(d)]).toEqual([name, d, true]);
        expect(this.cancelledAt.get(d)!).toBeLessThanOrEqual(at);
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

const RUNS = Number(process.env.ACCORD_PROPERTY_RUNS ?? 1_000);

describe(`${decideTcc.name} (properties)`, () => {
  it('settles CONFIRMED, CANCELLED or STUCK and keeps every invariant under random schedules', () => {
    fc.assert(
      fc.property(shapeArb, scheduleArb, (shape, { moves, drain }) => {
        const sim = new Simulator(planOf(shape));
        expect(sim.send({ type: 'start' }).rejected).toBeUndefined();
        expect(sim.send({ type: 'start' }).rejected).toBe('invalid-state');
        for (const move of moves) sim.apply(move);
        expect(sim.drain(drain)).toBe(true);
        sim.checkSettled();
        sim.replayEverything();
        expect(sim.send({ type: 'abort' }).rejected).toBe('invalid-state');
        expect(sim.send({ type: 'deadline' }).rejected).toBe('invalid-state');

        if (sim.state.status === 'STUCK') {
          // resolving closes it for good
          const resolved = decideTcc(sim.plan, sim.state, { type: 'resolve', note: 'by hand' }, { now: sim.now, random: () => 0 });
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
            expect(c.attempt - step.attemptBase).toBe(1);
            expect(c.phase).toBe(direction === 'forward' ? 'confirm' : 'cancel');
          }
          expect(sim.drain(['ok'])).toBe(true);
          expect(sim.state.status).toBe(direction === 'forward' ? 'CONFIRMED' : 'CANCELLED');
          sim.checkSettled();
          sim.replayEverything();
        }
        expect(isTerminal(sim.state.status)).toBe(true);
        expect(sim.send({ type: 'retry' }).rejected).toBe('invalid-state');
      }),
      { numRuns: RUNS },
    );
  });

  it('confirms every plan when every call succeeds, trying in dependency order', () => {
    fc.assert(
      fc.property(shapeArb, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), (shape, picks) => {
        const sim = new Simulator(planOf(shape));
        sim.send({ type: 'start' });
        const succeeded: string[] = [];
        for (let i = 0; sim.live().length > 0 && i < 100; i++) {
          const live = sim.live();
          const target = live[picks[i % picks.length] % live.length];
          sim.answer(target, 'ok');
          if (target.phase === 'try') succeeded.push(target.step);
        }
        expect(sim.state.status).toBe('CONFIRMED');
        sim.checkSettled();
        expect(sim.issued.filter((c) => c.phase === 'try').length).toBe(shape.branches.length);
        expect(sim.issued.filter((c) => c.phase === 'confirm').length).toBe(shape.branches.length);
        for (const step of sim.plan.steps) {
          for (const dep of step.deps) expect(succeeded.indexOf(dep)).toBeLessThan(succeeded.indexOf(step.name));
        }
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });

  it('cancels every tried branch when one try is refused, the deadline passes or it is aborted', () => {
    fc.assert(
      fc.property(
        shapeArb,
        fc.nat(),
        fc.constantFrom('refused' as const, 'misconfigured' as const, 'deadline' as const, 'abort' as const),
        fc.nat({ max: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        (shape, victim, how, okFirst, picks) => {
          const sim = new Simulator(planOf({ ...shape, deadline: true }));
          sim.send({ type: 'start' });
          const doomed = branchName(victim % shape.branches.length);
          for (let i = 0; i < okFirst && sim.state.status === 'TRYING'; i++) {
            const live = sim.live().filter((c) => how === 'deadline' || how === 'abort' || c.step !== doomed);
            if (live.length === 0) break;
            sim.answer(live[picks[i % picks.length] % live.length], 'ok');
          }
          if (sim.state.status === 'TRYING') {
            if (how === 'deadline') {
              sim.now = DEADLINE_AT;
              expect(sim.send({ type: 'deadline' }).rejected).toBeUndefined();
            } else if (how === 'abort') {
              expect(sim.send({ type: 'abort' }).rejected).toBeUndefined();
            }
          }
          for (let i = 0; sim.live().length > 0 && i < 100; i++) {
            const live = sim.live();
            const target = live[picks[i % picks.length] % live.length];
            const refuse = target.step === doomed && target.phase === 'try' && (how === 'refused' || how === 'misconfigured');
            sim.answer(target, refuse ? how : 'ok');
          }
          sim.checkSettled();
          if (sim.decision === 'backward') {
            expect(sim.state.status).toBe('CANCELLED');
            expect(sim.issued.filter((c) => c.phase === 'cancel').length).toBe(sim.tryIssued.size);
          } else {
            // every try succeeded before the refusal, deadline or abort could happen
            expect(sim.state.status).toBe('CONFIRMED');
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  });
});
