import { SAGA_STATUS, STEP_STATUS, type Phase } from '@accord/contracts';
import type { Plan } from '../definition/plan';
import { MachineDraft, type Rejected } from '../machine/machine.draft';
import type { Clock, Decision, MachineEvent } from '../machine/machine.types';
import type { Reason, StepState } from '../machine/transaction.state';
import { describeOutcome, type Outcome } from '../outcome/outcome.classify';
import type { SagaState } from './saga.state';

/**
 * The saga state machine: `decide(plan, state, event, clock)` returns the next
 * state and the calls to schedule. Pure: the caller persists the state and
 * executes the commands.
 */
export function decideSaga(plan: Plan, state: SagaState, event: MachineEvent, clock: Clock): Decision<SagaState> {
  return new SagaDraft(plan, state, clock).decide(state, event);
}

const DEADLINE: Reason = { step: null, phase: null, message: 'deadline passed' };

class SagaDraft extends MachineDraft<SagaState> {
  protected apply(event: MachineEvent): Rejected {
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
      case 'withdrawn': {
        const step = this.outstanding(event.step, event.phase, event.attempt);
        if (!step || step.status !== STEP_STATUS.AWAITING) return ['stale', 'no such call is awaited'];
        step.dueAt = null;
        this.closeAwaited(step, STEP_STATUS.SKIPPED);
        break;
      }
      case 'deadline':
        if (status !== SAGA_STATUS.RUNNING || this.state.pivotPassed || this.state.deadlineAt === null) {
          return ['invalid-state', 'the deadline no longer applies'];
        }
        if (this.clock.now < this.state.deadlineAt) return ['stale', 'the deadline has not passed'];
        this.rollback(DEADLINE);
        break;
      case 'abort':
        if (status === SAGA_STATUS.COMPENSATING) return null;
        if (status !== SAGA_STATUS.RUNNING) return ['invalid-state', `a ${status} saga cannot be aborted`];
        if (this.state.pivotPassed) return ['invalid-state', 'the saga has passed its pivot step'];
        this.rollback({ step: null, phase: null, message: event.reason ?? 'aborted' });
        break;
      case 'retry': {
        const rejected = this.retryStuck('saga', event.input, 'action', () => this.resume());
        if (rejected) return rejected;
        break;
      }
      case 'skip': {
        const rejected = this.skipStuck(event.step, event.output, 'action', { compensation: STEP_STATUS.COMPENSATED }, () => this.resumeDirection());
        if (rejected) return rejected;
        break;
      }
      case 'resolve':
        return this.resolveStuck('saga');
      default:
        return this.unknownEvent(event);
    }
    this.settle();
    return null;
  }

  private applyResult(name: string, phase: Phase, attempt: number, outcome: Outcome, error?: string): Rejected {
    const step = this.outstanding(name, phase, attempt);
    if (!step) return ['stale', 'no such call is outstanding'];
    if (this.state.status !== SAGA_STATUS.RUNNING && this.state.status !== SAGA_STATUS.COMPENSATING) {
      return ['stale', `the saga is ${this.state.status}`];
    }
    step.dueAt = null;
    // A successful undo keeps the error that made it necessary.
    if (outcome.type !== 'ok') step.lastError = error ?? describeOutcome(outcome);
    else if (phase === 'action') step.lastError = null;
    if (step.status === STEP_STATUS.AWAITING) this.awaitedResult(step, outcome);
    else if (phase === 'action') this.actionResult(step, outcome);
    else this.closingResult(step, outcome, STEP_STATUS.COMPENSATED);
    return null;
  }

  /** The late answer of an action the rollback waited for. Nothing is
   * retried any more: the answer only says whether it may have applied. */
  private awaitedResult(step: StepState, outcome: Outcome): void {
    switch (outcome.type) {
      case 'ok':
        step.output = outcome.output;
        step.mayHaveApplied = true;
        break;
      case 'retry':
        if (!outcome.unsent) step.mayHaveApplied = true;
        break;
      case 'refused':
      case 'misconfigured':
        break;
    }
    this.closeAwaited(step, outcome.type === 'ok' ? STEP_STATUS.SUCCEEDED : STEP_STATUS.FAILED);
  }

  /** An awaited step whose call is over: compensated if any attempt may have
   * applied, otherwise it ends as its last call did (`ended`: answered ok,
   * answered otherwise, or withdrawn unsent). */
  private closeAwaited(step: StepState, ended: typeof STEP_STATUS.SUCCEEDED | typeof STEP_STATUS.FAILED | typeof STEP_STATUS.SKIPPED): void {
    const hasCompensation = this.planned.get(step.name)!.endpoints.compensation !== undefined;
    if (step.mayHaveApplied && hasCompensation) step.status = STEP_STATUS.COMPENSATING;
    // withdrawn after earlier attempts: it was tried, so it failed rather than never ran
    else if (ended === STEP_STATUS.SKIPPED && step.attempt > 1) step.status = STEP_STATUS.FAILED;
    else step.status = ended;
  }

  private actionResult(step: StepState, outcome: Outcome): void {
    switch (outcome.type) {
      case 'ok':
        step.status = STEP_STATUS.SUCCEEDED;
        step.output = outcome.output;
        step.mayHaveApplied = true;
        if (this.planned.get(step.name)!.pivot) this.state.pivotPassed = true;
        return;
      case 'retry':
        if (!outcome.unsent) step.mayHaveApplied = true;
        if (this.scheduleRetry(step, outcome.retryAfterMs)) return;
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
    this.rollback({ step: step.name, phase: 'action', message: step.lastError ?? `step "${step.name}" failed` });
  }

  /** Everything whose action may have applied is compensated; the rest is
   * skipped. An action still owed is awaited, never overtaken (rule 6). */
  private rollback(cause: Reason): void {
    this.state.status = SAGA_STATUS.COMPENSATING;
    this.state.direction = 'backward';
    this.rollbackBecause(cause);
    const reason = cause.step === null ? cause.message : `step "${cause.step}" failed`;
    for (const step of this.state.steps) {
      const hasCompensation = this.planned.get(step.name)!.endpoints.compensation !== undefined;
      switch (step.status) {
        case STEP_STATUS.PENDING:
          step.status = STEP_STATUS.SKIPPED;
          break;
        case STEP_STATUS.RUNNING:
          // Its call may be in flight. Whether it was sent is known only where
          // calls are claimed, so the call stays owed: the worker that takes
          // it next withdraws it unsent or reports that its lease ran out. A
          // retry still in backoff becomes due now, to be withdrawn at once.
          step.status = STEP_STATUS.AWAITING;
          step.lastError = reason;
          step.dueAt = Math.min(step.dueAt!, this.clock.now);
          break;
        case STEP_STATUS.SUCCEEDED:
        case STEP_STATUS.FAILED:
          if (hasCompensation && step.mayHaveApplied) step.status = STEP_STATUS.COMPENSATING;
          break;
        // Already rolling back or settled, or a TCC branch's statuses (which
        // a saga step never has): left as they are.
        case STEP_STATUS.AWAITING:
        case STEP_STATUS.COMPENSATING:
        case STEP_STATUS.COMPENSATED:
        case STEP_STATUS.SKIPPED:
        case STEP_STATUS.STUCK:
        case STEP_STATUS.TRYING:
        case STEP_STATUS.CONFIRMING:
        case STEP_STATUS.CONFIRMED:
        case STEP_STATUS.CANCELLING:
        case STEP_STATUS.CANCELLED:
          break;
      }
    }
  }

  private resume(): void {
    this.resumeDirection();
    this.resumeStuck(this.state.direction === 'forward' ? STEP_STATUS.RUNNING : STEP_STATUS.COMPENSATING);
  }

  private resumeDirection(): void {
    this.state.status = this.state.direction === 'forward' ? SAGA_STATUS.RUNNING : SAGA_STATUS.COMPENSATING;
  }

  /** Schedules what became ready and moves the saga to its next status. */
  private settle(): void {
    if (this.state.status === SAGA_STATUS.RUNNING && this.deadlinePassed()) this.rollback(DEADLINE);
    if (this.state.status === SAGA_STATUS.RUNNING) {
      this.startReady(STEP_STATUS.RUNNING, 'action');
      if (this.state.steps.every((s) => s.status === STEP_STATUS.SUCCEEDED)) this.state.status = SAGA_STATUS.COMPLETED;
      else if (this.nothingScheduled()) this.markStuck();
    } else if (this.state.status === SAGA_STATUS.COMPENSATING) {
      this.undoReady(STEP_STATUS.COMPENSATING, 'compensation');
      if (!this.state.steps.some((s) => s.status === STEP_STATUS.COMPENSATING || s.status === STEP_STATUS.AWAITING)) {
        if (this.state.steps.some((s) => s.status === STEP_STATUS.STUCK)) this.markStuck();
        else this.state.status = SAGA_STATUS.COMPENSATED;
      } else if (this.nothingScheduled()) {
        this.markStuck();
      }
    }
  }
}
