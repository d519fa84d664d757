import fc from 'fast-check';
import { isTerminal, type Phase } from '@accord/contracts';
import type { Plan, PlannedStep } from '../definition/plan';
import {
  assertRandomSchedules,
  check,
  compileGenerated,
  earlierDeps,
  outcomeKindArb,
  picksArb,
  propertyRuns,
  scheduleArb,
  SimulatorBase,
  key,
  maxParallelArb,
  type CallId,
} from '../../spec-kit/machine.property.spec-kit';
import type { CallCommand, Decision, MachineEvent } from '../machine/machine.types';
import { decideSaga } from './saga.machine';
import type { StepState } from '../machine/transaction.state';
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
  maxParallel: number | undefined;
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
    maxParallel: maxParallelArb,
  }),
);

const outcomes = outcomeKindArb(4);
const schedules = scheduleArb(outcomes, 60);

// ---- building plans ----------------------------------------------------------

const stepName = (i: number) => `s${i}`;

function planOf(shape: Shape): Plan {
  const steps = shape.steps.map((s, i) => {
    const deps = earlierDeps(s.deps, i, stepName);
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
  return compileGenerated('saga', shape.deadline, steps, shape.maxParallel);
}

// ---- the simulator -------------------------------------------------------------

/** Step statuses that hold nothing back from compensating the steps they depend on. */
const FINISHED_BACKWARD: readonly string[] = ['COMPENSATED', 'FAILED', 'SKIPPED', 'SUCCEEDED'];

class Simulator extends SimulatorBase<SagaState> {
  readonly answered: CallId[] = [];
  /** Steps whose action may have taken effect, tracked independently of the machine. */
  readonly mayHaveApplied = new Set<string>();
  /** Action calls issued and neither answered nor withdrawn: as far as anyone
   * knows, in flight at the participant. */
  readonly openActions = new Map<string, CallId>();
  /** Action calls the shell took back unsent. */
  readonly withdrawn = new Set<string>();
  readonly firstCompensationAt = new Map<string, number>();
  readonly compensatedAt = new Map<string, number>();
  readonly okOutputs = new Map<string, unknown>();
  everPivot = false;
  readonly compensable: Set<string>;

  constructor(plan: Plan) {
    super(
      plan,
      initialSagaState('tx-p', { order: 1 }, plan.steps.map((s) => s.name), plan.timeoutMs === null ? null : plan.timeoutMs),
      decideSaga,
      {
        inFlight: ['RUNNING', 'COMPENSATING'],
        forwardPhase: 'action',
        stepInFlight: ['RUNNING', 'AWAITING', 'COMPENSATING'],
        stepNoun: 'step',
        transactionNoun: 'saga',
      },
    );
    this.compensable = new Set(plan.steps.filter((s) => s.endpoints.compensation).map((s) => s.name));
  }

  protected observe(event: MachineEvent, before: SagaState, decision: Decision<SagaState>): void {
    const after = decision.state;
    if (event.type === 'result') {
      this.answered.push({ step: event.step, phase: event.phase, attempt: event.attempt });
      if (event.phase === 'action') this.openActions.delete(key(event));
      const reached = event.outcome.type === 'ok' || (event.outcome.type === 'retry' && !event.outcome.unsent);
      if (event.phase === 'action' && reached) this.mayHaveApplied.add(event.step);
      if (event.phase === 'action' && event.outcome.type === 'ok') this.okOutputs.set(event.step, event.outcome.output);
    }
    if (event.type === 'skip' && event.output !== undefined) {
      // skipped going forward: it counts as succeeded with the operator's output
      this.okOutputs.set(event.step, event.output);
      this.mayHaveApplied.add(event.step);
    }
    if (event.type === 'withdrawn') {
      this.openActions.delete(key(event));
      this.withdrawn.add(key(event));
    }
    for (const c of decision.commands) if (c.phase === 'action') this.openActions.set(key(c), c);
    for (const s of after.steps) {
      const prev = before.steps.find((p) => p.name === s.name)!;
      if (s.status === 'COMPENSATED' && prev.status !== 'COMPENSATED') this.compensatedAt.set(s.name, this.seq);
    }
    for (const c of decision.commands) {
      if (c.phase === 'compensation' && !this.firstCompensationAt.has(c.step)) this.firstCompensationAt.set(c.step, this.seq);
    }
  }

  protected checkBefore(before: SagaState, after: SagaState): void {
    // pivotPassed never flips back
    check(!before.pivotPassed || after.pivotPassed, 'pivotPassed flipped back');
    this.everPivot ||= after.pivotPassed;
  }

  protected checkCommand(c: CallCommand, step: StepState, planned: PlannedStep, after: SagaState): void {
    const byName = new Map(after.steps.map((s) => [s.name, s]));
    check(c.phase === 'action' || c.phase === 'compensation', 'a saga issued a TCC phase', c);
    this.checkCallAgreesWithStep(c, step, planned);
    if (c.phase === 'action') {
      check(after.status === 'RUNNING', 'an action issued while not RUNNING', { c, after });
      check(planned.deps.every((d) => byName.get(d)!.status === 'SUCCEEDED'), 'an action issued before its dependencies succeeded', c);
      if (c.attempt === 1) {
        // input rendered from the dependency's output
        if (planned.deps.length > 0) {
          const dep = this.okOutputs.get(planned.deps[0]) as { v: string };
          check(JSON.stringify(step.input) === JSON.stringify({ from: dep.v, tx: 'tx-p' }), 'input not rendered from the dependency output', step);
        } else {
          check(JSON.stringify(step.input) === JSON.stringify(after.input), 'a step without a template did not get the transaction input', step);
        }
      }
    } else {
      check(after.status === 'COMPENSATING', 'a compensation issued while not COMPENSATING', { c, after });
      // never compensate after the point of no return
      check(!this.everPivot, 'a compensation issued after the pivot', c);
      // only steps that have a compensation and whose action was called
      // never overtake the step's own action (rule 6)
      check(!this.actionOpen(c.step), `compensation of ${c.step} issued while its action call is in flight`, { c, after });
      check(this.compensable.has(c.step), 'a compensation issued for a step without one', c);
      check(this.actionSent(c.step), 'a compensation issued for a step whose action was never sent', c);
      check(this.mayHaveApplied.has(c.step), 'a compensation issued for a step known not to have applied', c);
      // reverse dependency order: every dependent has finished compensating, or needed none
      for (const d of this.descendants.get(c.step)!) {
        const status = byName.get(d)!.status;
        check(!this.actionOpen(d), `compensation of ${c.step} issued while the action of its dependent ${d} is in flight`, { c, after });
        check(FINISHED_BACKWARD.includes(status), `compensation of ${c.step} issued before its dependent ${d} finished compensating`, after);
      }
    }
  }

  protected checkAfter(after: SagaState): void {
    if (after.status === 'RUNNING') check(after.direction === 'forward', 'RUNNING backwards', after);
    if (after.status === 'COMPENSATING') check(after.direction === 'backward', 'COMPENSATING forwards', after);
    if (after.status === 'STUCK') check(after.steps.some((s) => s.status === 'STUCK'), 'STUCK without a STUCK step', after);
    if (after.direction === 'backward') {
      check(!after.steps.some((s) => s.status === 'RUNNING' || s.status === 'PENDING'), 'a step still going forward during rollback', after);
    }
    for (const s of after.steps) {
      if (s.status === 'AWAITING') check(after.direction === 'backward' && s.phase === 'action' && s.dueAt !== null, 'an AWAITING step owes no action call', after);
    }
    // the machine never stops waiting for an action call it sent, but by its answer or its withdrawal
    for (const open of this.openActions.values()) {
      const s = after.steps.find((x) => x.name === open.step)!;
      check(s.phase === 'action' && s.attempt === open.attempt && s.dueAt !== null, `the saga forgot the action call ${key(open)} in flight`, after);
    }
  }

  actionOpen(step: string): boolean {
    return [...this.openActions.values()].some((c) => c.step === step);
  }

  actionSent(step: string): boolean {
    return this.issued.some((c) => c.step === step && c.phase === 'action' && !this.withdrawn.has(key(c)));
  }

  /** The shell withdraws only calls of AWAITING steps (those no worker claimed). */
  protected withdraw(target: CallId): void {
    if (this.state.steps.find((s) => s.name === target.step)!.status !== 'AWAITING') return;
    const decision = this.send({ type: 'withdrawn', ...target });
    check(decision.rejected === undefined, 'withdrawing an awaited call was rejected', decision);
  }

  protected otherPhase(target: CallId): Phase {
    return target.phase === 'action' ? 'compensation' : 'action';
  }

  protected deadlineApplies(before: SagaState): boolean {
    return before.status === 'RUNNING' && !before.pivotPassed && before.deadlineAt !== null;
  }

  protected checkDeadlinePassed(): void {
    expect(this.state.direction).toBe('backward');
    expect(['COMPENSATING', 'COMPENSATED']).toContain(this.state.status);
  }

  protected checkAbort(before: SagaState, decision: Decision<SagaState>): void {
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
  }

  /** Checks a saga with nothing outstanding. */
  override checkSettled(): void {
    const { status, steps } = this.state;
    expect(['COMPLETED', 'COMPENSATED', 'STUCK']).toContain(status);
    expect(steps.every((s) => s.dueAt === null)).toBe(true);
    const compensationCalled = (name: string) => this.issued.some((c) => c.step === name && c.phase === 'compensation');
    const actionCalled = (name: string) => this.actionSent(name);

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
}

const simulate = (shape: Shape) => new Simulator(planOf(shape));

// ---- properties ----------------------------------------------------------------

const RUNS = propertyRuns(2_000);

describe(`${decideSaga.name} (properties)`, () => {
  it('settles in a terminal status or STUCK and keeps every invariant under random schedules', () => {
    assertRandomSchedules(RUNS, shapeArb, schedules, simulate, (sim) => {
      expect(sim.send({ type: 'abort' }).rejected).toBe(sim.state.status === 'STUCK' || isTerminal(sim.state.status) ? 'invalid-state' : undefined);
      if (sim.state.status === 'STUCK') sim.recoverFromStuck({ forward: 'COMPLETED', backward: 'COMPENSATED' });
    });
  });

  it('completes every plan when every call eventually succeeds, in dependency order', () => {
    fc.assert(
      fc.property(shapeArb, picksArb, (shape, picks) => {
        const sim = new Simulator(planOf(shape));
        sim.send({ type: 'start' });
        const succeeded: string[] = [];
        sim.answerAll(picks, 200, (target) => {
          succeeded.push(target.step);
          return 'ok';
        });
        expect(sim.state.status).toBe('COMPLETED');
        expect(sim.issued.every((c) => c.phase === 'action' && c.attempt === 1)).toBe(true);
        sim.expectDependencyOrder(succeeded);
      }),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });

  it('rolls back to COMPENSATED when one action is refused and every compensation succeeds (no pivot)', () => {
    fc.assert(
      fc.property(
        shapeArb.map((s) => ({ ...s, pivot: undefined })),
        fc.nat(),
        picksArb,
        (shape, victim, picks) => {
          const sim = new Simulator(planOf(shape));
          sim.send({ type: 'start' });
          const doomed = stepName(victim % shape.steps.length);
          sim.answerAll(picks, 200, (target) => (target.step === doomed && target.phase === 'action' ? 'refused' : 'ok'));
          expect(sim.state.status).toBe('COMPENSATED');
          expect(sim.state.steps.find((s) => s.name === doomed)!.status).toBe('FAILED');
          sim.checkSettled();
        },
      ),
      { numRuns: Math.ceil(RUNS / 4) },
    );
  });
});
