import { ancestorsOf } from '../definition/definition.compile';
import type { Plan, PlannedStep } from '../definition/plan';
import type { CallCommand, Clock, Decision, MachineEvent } from '../machine.types';
import type { Phase } from '../phase';
import { describeOutcome, type Outcome } from '../outcome/outcome.classify';
import { backoffDelay, budgetLeft } from '../retry/retry.policy';
import { renderTemplate } from '../template/template.render';
import { SAGA_STATUS, STEP_STATUS, type SagaState, type StepState } from './saga.state';

/**
 * The saga state machine: `decide(plan, state, event, clock)` returns the next
 * state and the calls to schedule. Pure: the caller persists the state and
 * executes the commands.
 */
export function decideSaga(plan: Plan, state: SagaState, event: MachineEvent, clock: Clock): Decision<SagaState> {
  const draft = new Draft(plan, state, clock);
  const rejection = draft.apply(event);
  if (rejection) return { state, commands: [], rejected: rejection[0], reason: rejection[1] };
  return { state: draft.state, commands: draft.commands };
}

type Rejected = ['stale' | 'invalid-state', string] | null;

class Draft {
  readonly state: SagaState;
  readonly commands: CallCommand[] = [];
  private readonly planned: Map<string, PlannedStep>;
  /** Every step that depends on a step, directly or transitively. */
  private readonly descendants: Map<string, string[]>;

  constructor(
    plan: Plan,
    original: SagaState,
    private readonly clock: Clock,
  ) {
    this.state = { ...original, steps: original.steps.map((s) => ({ ...s })) };
    this.planned = new Map(plan.steps.map((s) => [s.name, s]));
    const ancestors = new Map(plan.steps.map((s) => [s.name, ancestorsOf(s.name, plan.steps)]));
    this.descendants = new Map(plan.steps.map((s) => [s.name, plan.steps.filter((d) => ancestors.get(d.name)!.has(s.name)).map((d) => d.name)]));
  }

  apply(event: MachineEvent): Rejected {
    const { status } = this.state;
    switch (event.type) {
      case 'start':
        if (status !== SAGA_STATUS.RUNNING || this.state.steps.some((s) => s.status !== STEP_STATUS.PENDING)) {
          return ['invalid-state', 'already started'];
        }
        break;
      case 'result': {
        const rejected = this.applyResult(event.step, event.phase, event.attempt, event.outcome, event.error);
        if (rejected) return rejected;
        break;
      }
      case 'deadline':
        if (status !== SAGA_STATUS.RUNNING || this.state.pivotPassed || this.state.deadlineAt === null) {
          return ['invalid-state', 'the deadline no longer applies'];
        }
        if (this.clock.now < this.state.deadlineAt) return ['stale', 'the deadline has not passed'];
        this.rollback('deadline passed');
        break;
      case 'abort':
        if (status === SAGA_STATUS.COMPENSATING) return null;
        if (status !== SAGA_STATUS.RUNNING) return ['invalid-state', `a ${status} saga cannot be aborted`];
        if (this.state.pivotPassed) return ['invalid-state', 'the saga has passed its pivot step'];
        this.rollback(event.reason ?? 'aborted');
        break;
      case 'retry':
        if (status !== SAGA_STATUS.STUCK) return ['invalid-state', `only a STUCK saga can be retried (it is ${status})`];
        this.resume();
        break;
      case 'resolve':
        if (status !== SAGA_STATUS.STUCK) return ['invalid-state', `only a STUCK saga can be resolved (it is ${status})`];
        this.state.status = SAGA_STATUS.RESOLVED;
        for (const step of this.state.steps) step.dueAt = null;
        return null;
      default:
        // Events are deserialised by the shell: never let an unknown one through.
        return ['invalid-state', `unknown event type "${(event as { type?: unknown }).type}"`];
    }
    this.settle();
    return null;
  }

  private applyResult(name: string, phase: Phase, attempt: number, outcome: Outcome, error?: string): Rejected {
    const step = this.state.steps.find((s) => s.name === name);
    if (!step || step.phase !== phase || step.attempt !== attempt || step.dueAt === null) {
      return ['stale', 'no such call is outstanding'];
    }
    if (this.state.status !== SAGA_STATUS.RUNNING && this.state.status !== SAGA_STATUS.COMPENSATING) {
      return ['stale', `the saga is ${this.state.status}`];
    }
    step.dueAt = null;
    step.lastError = outcome.type === 'ok' ? null : (error ?? describeOutcome(outcome));
    const planned = this.planned.get(name)!;
    if (phase === 'action') this.actionResult(step, planned, outcome);
    else this.compensationResult(step, planned, outcome);
    return null;
  }

  private actionResult(step: StepState, planned: PlannedStep, outcome: Outcome): void {
    switch (outcome.type) {
      case 'ok':
        step.status = STEP_STATUS.SUCCEEDED;
        step.output = outcome.output;
        step.mayHaveApplied = true;
        if (planned.pivot) this.state.pivotPassed = true;
        return;
      case 'retry':
        step.mayHaveApplied = true;
        if (this.scheduleRetry(step, planned, outcome.retryAfterMs)) return;
        step.lastError = `retry budget exhausted: ${step.lastError ?? 'no definite answer'}`;
        return this.actionFailed(step);
      case 'refused':
      case 'misconfigured':
        return this.actionFailed(step);
    }
  }

  private actionFailed(step: StepState): void {
    if (this.state.pivotPassed) {
      step.status = STEP_STATUS.STUCK;
      return;
    }
    step.status = STEP_STATUS.FAILED;
    this.rollback(`step "${step.name}" failed`);
  }

  private compensationResult(step: StepState, planned: PlannedStep, outcome: Outcome): void {
    switch (outcome.type) {
      case 'ok':
        step.status = STEP_STATUS.COMPENSATED;
        return;
      case 'retry':
        if (this.scheduleRetry(step, planned, outcome.retryAfterMs)) return;
        step.lastError = `retry budget exhausted: ${step.lastError ?? 'no definite answer'}`;
        step.status = STEP_STATUS.STUCK;
        return;
      case 'refused':
      case 'misconfigured':
        step.status = STEP_STATUS.STUCK;
        return;
    }
  }

  private scheduleRetry(step: StepState, planned: PlannedStep, retryAfterMs?: number): boolean {
    const used = step.attempt - step.attemptBase;
    if (!budgetLeft(planned.retry, used)) return false;
    const delay = backoffDelay(planned.retry, used, this.clock.random(), retryAfterMs);
    this.schedule(step, step.phase!, step.attempt + 1, this.clock.now + delay);
    return true;
  }

  /** Everything whose action may have applied is compensated; the rest is skipped. */
  private rollback(reason: string): void {
    this.state.status = SAGA_STATUS.COMPENSATING;
    this.state.direction = 'backward';
    for (const step of this.state.steps) {
      const hasCompensation = this.planned.get(step.name)!.endpoints.compensation !== undefined;
      switch (step.status) {
        case STEP_STATUS.PENDING:
          step.status = STEP_STATUS.SKIPPED;
          break;
        case STEP_STATUS.RUNNING:
          // An attempt may be in flight: its effect is unknown.
          step.mayHaveApplied = true;
          step.dueAt = null;
          step.lastError = reason;
          step.status = hasCompensation ? STEP_STATUS.COMPENSATING : STEP_STATUS.FAILED;
          break;
        case STEP_STATUS.SUCCEEDED:
        case STEP_STATUS.FAILED:
          if (hasCompensation && step.mayHaveApplied) step.status = STEP_STATUS.COMPENSATING;
          break;
        default:
          break;
      }
    }
  }

  private resume(): void {
    const forward = this.state.direction === 'forward';
    this.state.status = forward ? SAGA_STATUS.RUNNING : SAGA_STATUS.COMPENSATING;
    for (const step of this.state.steps) {
      if (step.status !== STEP_STATUS.STUCK) continue;
      step.status = forward ? STEP_STATUS.RUNNING : STEP_STATUS.COMPENSATING;
      step.attemptBase = step.attempt;
      this.schedule(step, step.phase!, step.attempt + 1, this.clock.now);
    }
  }

  /** Schedules what became ready and moves the saga to its next status. */
  private settle(): void {
    if (this.state.status === SAGA_STATUS.RUNNING) this.settleForward();
    else if (this.state.status === SAGA_STATUS.COMPENSATING) this.settleBackward();
  }

  private settleForward(): void {
    const byName = new Map(this.state.steps.map((s) => [s.name, s]));
    for (const step of this.state.steps) {
      if (step.status !== STEP_STATUS.PENDING) continue;
      const deps = this.planned.get(step.name)!.deps;
      if (deps.every((d) => byName.get(d)!.status === STEP_STATUS.SUCCEEDED)) {
        step.status = STEP_STATUS.RUNNING;
        step.input = this.renderInput(step.name);
        this.schedule(step, 'action', 1, this.clock.now);
      }
    }
    if (this.state.steps.every((s) => s.status === STEP_STATUS.SUCCEEDED)) this.state.status = SAGA_STATUS.COMPLETED;
    else if (!this.state.steps.some((s) => s.dueAt !== null)) this.state.status = SAGA_STATUS.STUCK;
  }

  private settleBackward(): void {
    const byName = new Map(this.state.steps.map((s) => [s.name, s]));
    for (const step of this.state.steps) {
      if (step.status !== STEP_STATUS.COMPENSATING || step.dueAt !== null || step.phase === 'compensation') continue;
      // Reverse dependency order, transitively: a -> b (no compensation) -> c
      // must still undo c before a.
      const blocked = this.descendants.get(step.name)!.some((d) => {
        const status = byName.get(d)!.status;
        return status === STEP_STATUS.COMPENSATING || status === STEP_STATUS.STUCK;
      });
      if (!blocked) this.schedule(step, 'compensation', 1, this.clock.now);
    }
    if (!this.state.steps.some((s) => s.status === STEP_STATUS.COMPENSATING)) {
      const stuck = this.state.steps.some((s) => s.status === STEP_STATUS.STUCK);
      this.state.status = stuck ? SAGA_STATUS.STUCK : SAGA_STATUS.COMPENSATED;
    } else if (!this.state.steps.some((s) => s.dueAt !== null)) {
      this.state.status = SAGA_STATUS.STUCK;
    }
  }

  private schedule(step: StepState, phase: Phase, attempt: number, dueAt: number): void {
    step.phase = phase;
    step.attempt = attempt;
    if (attempt === 1) step.attemptBase = 0;
    step.dueAt = dueAt;
    this.commands.push({ type: 'call', step: step.name, phase, attempt, dueAt });
  }

  private renderInput(name: string): unknown {
    const template = this.planned.get(name)!.input;
    if (template === undefined) return this.state.input;
    const outputs = Object.fromEntries(
      this.state.steps.filter((s) => s.status === STEP_STATUS.SUCCEEDED).map((s) => [s.name, s.output]),
    );
    return renderTemplate(template, { transactionId: this.state.id, input: this.state.input, outputs });
  }
}
