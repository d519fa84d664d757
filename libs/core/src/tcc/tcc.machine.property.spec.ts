import fc from 'fast-check';
import { isTerminal, type Phase } from '@accord/contracts';
import type { Plan, PlannedStep } from '../definition/plan';
import { assertRandomSchedules, check, compileGenerated, DEADLINE_AT, earlierDeps, maxParallelArb, outcomeKindArb, picksArb, propertyRuns, scheduleArb, SimulatorBase, type CallId } from '../../spec-kit/machine.property.spec-kit';
import type { CallCommand, Decision, MachineEvent } from '../machine/machine.types';
import type { StepState } from '../machine/transaction.state';
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
  maxParallel: number | undefined;
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
    maxParallel: maxParallelArb,
  }),
);

const outcomes = outcomeKindArb(5);

const PHASES_TCC: Phase[] = ['try', 'confirm', 'cancel'];

const schedules = scheduleArb(outcomes, 50);

// ---- building plans ----------------------------------------------------------

const branchName = (i: number) => `b${i}`;

function planOf(shape: Shape): Plan {
  const steps = shape.branches.map((b, i) => {
    const deps = earlierDeps(b.deps, i, branchName);
    return {
      name: branchName(i),
      ...(deps ? { dependsOn: deps } : {}),
      retry: { maxAttempts: b.maxAttempts, initialDelayMs: 10, maxDelayMs: 100, jitter: true },
      try: { url: `http://p/${i}/try` },
      confirm: { url: `http://p/${i}/confirm` },
      cancel: { url: `http://p/${i}/cancel` },
    };
  });
  return compileGenerated('tcc', shape.deadline, steps, shape.maxParallel);
}

// ---- the simulator -------------------------------------------------------------

class Simulator extends SimulatorBase<TccState> {
  readonly tryIssued = new Set<string>();
  readonly trySucceeded = new Set<string>();
  readonly firstCancelAt = new Map<string, number>();
  readonly cancelledAt = new Map<string, number>();
  /** The decision as first seen; it must never change. */
  decision: 'forward' | 'backward' | null = null;

  constructor(plan: Plan) {
    super(plan, initialTccState('tx-p', { order: 1 }, plan.steps.map((s) => s.name), plan.timeoutMs), decideTcc, {
      inFlight: ['TRYING', 'CONFIRMING', 'CANCELLING'],
      forwardPhase: 'try',
      stepInFlight: ['TRYING', 'CONFIRMING', 'CANCELLING'],
      stepNoun: 'branch',
      transactionNoun: 'transaction',
    });
  }

  protected observe(event: MachineEvent, before: TccState, decision: Decision<TccState>): void {
    if (event.type === 'result' && event.phase === 'try' && event.outcome.type === 'ok') this.trySucceeded.add(event.step);
    if (event.type === 'result') this.checkResult(event, before, decision.state);
    for (const s of decision.state.steps) {
      const prev = before.steps.find((p) => p.name === s.name)!;
      if (s.status === 'CANCELLED' && prev.status !== 'CANCELLED') this.cancelledAt.set(s.name, this.seq);
    }
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

  protected checkBefore(before: TccState, after: TccState): void {
    // the decision is made once and never flips
    if (before.pivotPassed) check(after.pivotPassed, 'pivotPassed flipped back', after);
    if (after.pivotPassed) {
      if (this.decision === null) this.decision = after.direction;
      check(after.direction === this.decision, 'the decision flipped', { decision: this.decision, after });
    } else {
      check(after.direction === 'forward', 'a direction without a decision', after);
      check(after.status === 'TRYING', 'left TRYING without a decision', after);
    }

  }

  protected checkCommand(c: CallCommand, step: StepState, planned: PlannedStep, after: TccState): void {
    const byName = new Map(after.steps.map((s) => [s.name, s]));
    check(PHASES_TCC.includes(c.phase), 'a TCC transaction issued a saga phase', c);
    this.checkCallAgreesWithStep(c, step, planned);
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
      case 'action':
      case 'compensation':
        break; // reported above: a saga phase
    }
  }

  protected checkAfter(after: TccState): void {
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

  /** Late answers in another phase, the saga's included. */
  protected otherPhase(target: CallId, pick: number): Phase {
    const others = [...PHASES_TCC.filter((p) => p !== target.phase), 'action' as const];
    return others[pick % others.length];
  }

  protected deadlineApplies(before: TccState): boolean {
    return before.status === 'TRYING' && before.deadlineAt !== null;
  }

  protected checkDeadlinePassed(): void {
    expect(this.state).toMatchObject({ status: 'CANCELLING', direction: 'backward', pivotPassed: true });
    // every branch whose try was sent is being cancelled, answered or not
    for (const s of this.state.steps) expect([s.name, s.status]).toEqual([s.name, this.tryIssued.has(s.name) ? 'CANCELLING' : 'SKIPPED']);
  }

  protected checkAbort(before: TccState, decision: Decision<TccState>): void {
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
  }

  protected withdraw(target: CallId): void {
    // a cancel may overtake its try, so TCC never awaits a call and never lets one go
    const before = this.state;
    const decision = this.send({ type: 'withdrawn', ...target });
    check(decision.rejected === 'stale' && this.state === before, 'a TCC machine let an owed call go unsent', { target, decision });
  }

  /** Checks a transaction with nothing outstanding. */
  override checkSettled(): void {
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
}

const simulate = (shape: Shape) => new Simulator(planOf(shape));

// ---- properties ----------------------------------------------------------------

const RUNS = propertyRuns(1_000);

describe(`${decideTcc.name} (properties)`, () => {
  it('settles CONFIRMED, CANCELLED or STUCK and keeps every invariant under random schedules', () => {
    assertRandomSchedules(RUNS, shapeArb, schedules, simulate, (sim) => {
      expect(sim.send({ type: 'abort' }).rejected).toBe('invalid-state');
      expect(sim.send({ type: 'deadline' }).rejected).toBe('invalid-state');
      if (sim.state.status === 'STUCK') {
        sim.recoverFromStuck({ forward: 'CONFIRMED', backward: 'CANCELLED' }, (c, direction) =>
          expect(c.phase).toBe(direction === 'forward' ? 'confirm' : 'cancel'),
        );
      }
      expect(isTerminal(sim.state.status)).toBe(true);
    });
  });

  it('confirms every plan when every call succeeds, trying in dependency order', () => {
    fc.assert(
      fc.property(shapeArb, picksArb, (shape, picks) => {
        const sim = new Simulator(planOf(shape));
        sim.send({ type: 'start' });
        const succeeded: string[] = [];
        sim.answerAll(picks, 100, (target) => {
          if (target.phase === 'try') succeeded.push(target.step);
          return 'ok';
        });
        expect(sim.state.status).toBe('CONFIRMED');
        sim.checkSettled();
        expect(sim.issued.filter((c) => c.phase === 'try').length).toBe(shape.branches.length);
        expect(sim.issued.filter((c) => c.phase === 'confirm').length).toBe(shape.branches.length);
        sim.expectDependencyOrder(succeeded);
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
        picksArb,
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
          sim.answerAll(picks, 100, (target) => {
            const refuse = target.step === doomed && target.phase === 'try' && (how === 'refused' || how === 'misconfigured');
            return refuse ? how : 'ok';
          });
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
