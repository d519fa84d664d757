import { STEP_STATUS, TCC_STATUS, type Phase } from '@accord/contracts';
import type { Plan } from '../definition/plan';
import { MachineDraft, type Rejected } from '../machine/machine.draft';
import type { Clock, Decision, MachineEvent } from '../machine/machine.types';
import type { Reason, StepState } from '../machine/transaction.state';
import { describeOutcome, type Outcome } from '../outcome/outcome.classify';
import type { TccState } from './tcc.state';

/**
 * The TCC state machine. Tries run in parallel (or in `dependsOn` order);
 * when every try succeeded the decision is confirm, otherwise cancel. The
 * decision is part of the state the shell commits before any phase-two call
 * is enqueued, and nothing flips it afterwards. Pure, like the saga machine.
 */
export function decideTcc(plan: Plan, state: TccState, event: MachineEvent, clock: Clock): Decision<TccState> {
  return new TccDraft(plan, state, clock).decide(state, event);
}

const DEADLINE: Reason = { step: null, phase: null, message: 'deadline passed' };

class TccDraft extends MachineDraft<TccState> {
  protected apply(event: MachineEvent): Rejected {
    const { status } = this.state;
    switch (event.type) {
      case 'start':
        if (status !== TCC_STATUS.TRYING || this.state.steps.some((s) => s.status !== STEP_STATUS.PENDING)) {
          return ['invalid-state', 'already started'];
        }
        break;
      case 'result': {
        const rejected = this.applyResult(event.step, event.phase, event.attempt, event.outcome, event.error);
        if (rejected) return rejected;
        break;
      }
      case 'withdrawn':
        // A cancel may overtake its try (the contract says so, the barrier
        // refuses the late try), so no TCC call is ever awaited.
        return ['stale', 'a TCC transaction awaits no call'];
      case 'deadline':
        if (status !== TCC_STATUS.TRYING || this.state.deadlineAt === null) return ['invalid-state', 'the deadline no longer applies'];
        if (this.clock.now < this.state.deadlineAt) return ['stale', 'the deadline has not passed'];
        this.cancel(DEADLINE);
        break;
      case 'abort':
        if (status === TCC_STATUS.CANCELLING) return null;
        if (status !== TCC_STATUS.TRYING) return ['invalid-state', `a ${status} TCC transaction cannot be aborted`];
        this.cancel({ step: null, phase: null, message: event.reason ?? 'aborted' });
        break;
      case 'retry': {
        const rejected = this.retryStuck('transaction', event.input, 'try', () => this.resume());
        if (rejected) return rejected;
        break;
      }
      case 'skip': {
        const closed = { confirm: STEP_STATUS.CONFIRMED, cancel: STEP_STATUS.CANCELLED };
        const rejected = this.skipStuck(event.step, event.output, 'try', closed, () => this.resumeDirection());
        if (rejected) return rejected;
        break;
      }
      case 'resolve':
        return this.resolveStuck('transaction');
      default:
        return this.unknownEvent(event);
    }
    this.settle();
    return null;
  }

  private applyResult(name: string, phase: Phase, attempt: number, outcome: Outcome, error?: string): Rejected {
    const step = this.outstanding(name, phase, attempt);
    if (!step) return ['stale', 'no such call is outstanding'];
    // Never outstanding in a TCC transaction (the lookup above finds none):
    // said here so that no saga phase can be taken for a cancel below.
    if (phase === 'action' || phase === 'compensation') return ['stale', `a TCC branch has no ${phase} phase`];
    const { status } = this.state;
    if (status !== TCC_STATUS.TRYING && status !== TCC_STATUS.CONFIRMING && status !== TCC_STATUS.CANCELLING) {
      return ['stale', `the transaction is ${status}`];
    }
    step.dueAt = null;
    // A successful cancel keeps the error that made it necessary.
    if (outcome.type !== 'ok') step.lastError = error ?? describeOutcome(outcome);
    else if (phase === 'try') step.lastError = null;
    switch (phase) {
      case 'try':
        this.tryResult(step, outcome);
        break;
      case 'confirm':
        this.closingResult(step, outcome, STEP_STATUS.CONFIRMED);
        break;
      case 'cancel':
        this.closingResult(step, outcome, STEP_STATUS.CANCELLED);
        break;
    }
    return null;
  }

  private tryResult(step: StepState, outcome: Outcome): void {
    switch (outcome.type) {
      case 'ok':
        step.status = STEP_STATUS.SUCCEEDED;
        step.output = outcome.output;
        step.mayHaveApplied = true;
        return;
      case 'retry':
        if (!outcome.unsent) step.mayHaveApplied = true;
        if (this.scheduleRetry(step, outcome.retryAfterMs)) return;
        step.lastError = `retry budget exhausted: ${step.lastError ?? 'no definite answer'}`;
        break;
      case 'refused':
      case 'misconfigured':
        break;
    }
    step.status = STEP_STATUS.FAILED;
    this.cancel({ step: step.name, phase: 'try', message: step.lastError ?? `branch "${step.name}" failed to try` });
  }

  /** The cancel decision: every branch whose try was sent gets a cancel (the
   * participant's barrier turns one for a try that never arrived into a null
   * cancel); branches never tried are skipped. */
  private cancel(cause: Reason): void {
    this.commitTo('backward', TCC_STATUS.CANCELLING);
    this.rollbackBecause(cause);
    const reason = cause.step === null ? cause.message : `branch "${cause.step}" failed to try`;
    for (const step of this.state.steps) {
      switch (step.status) {
        case STEP_STATUS.PENDING:
          step.status = STEP_STATUS.SKIPPED;
          break;
        case STEP_STATUS.TRYING:
          step.mayHaveApplied = true;
          step.dueAt = null;
          step.lastError = reason;
          step.status = STEP_STATUS.CANCELLING;
          break;
        case STEP_STATUS.SUCCEEDED:
        case STEP_STATUS.FAILED:
          step.status = STEP_STATUS.CANCELLING;
          break;
        // Already cancelling or settled; a confirmed branch's statuses (the
        // decision never flips, so a cancel never meets them); a saga step's,
        // which a TCC branch never has: left as they are.
        case STEP_STATUS.CANCELLING:
        case STEP_STATUS.CANCELLED:
        case STEP_STATUS.SKIPPED:
        case STEP_STATUS.STUCK:
        case STEP_STATUS.CONFIRMING:
        case STEP_STATUS.CONFIRMED:
        case STEP_STATUS.RUNNING:
        case STEP_STATUS.AWAITING:
        case STEP_STATUS.COMPENSATING:
        case STEP_STATUS.COMPENSATED:
          break;
      }
    }
  }

  private confirm(): void {
    this.commitTo('forward', TCC_STATUS.CONFIRMING);
    for (const step of this.state.steps) step.status = STEP_STATUS.CONFIRMING;
  }

  /** Sends the confirms not sent yet, as far as the free call slots go. */
  private startConfirms(): void {
    let free = this.freeSlots();
    for (const step of this.state.steps) {
      if (free === 0) return;
      if (step.status !== STEP_STATUS.CONFIRMING || step.phase === 'confirm') continue;
      this.schedule(step, 'confirm', 1, this.clock.now);
      free--;
    }
  }

  private commitTo(direction: 'forward' | 'backward', status: TccState['status']): void {
    this.state.pivotPassed = true;
    this.state.direction = direction;
    this.state.status = status;
  }

  private resume(): void {
    this.resumeDirection();
    this.resumeStuck(this.state.direction === 'forward' ? STEP_STATUS.CONFIRMING : STEP_STATUS.CANCELLING);
  }

  private resumeDirection(): void {
    this.state.status = this.state.direction === 'forward' ? TCC_STATUS.CONFIRMING : TCC_STATUS.CANCELLING;
  }

  private settle(): void {
    if (this.state.status === TCC_STATUS.TRYING && this.deadlinePassed()) this.cancel(DEADLINE);
    switch (this.state.status) {
      case TCC_STATUS.TRYING:
        this.startReady(STEP_STATUS.TRYING, 'try');
        if (this.state.steps.every((s) => s.status === STEP_STATUS.SUCCEEDED)) {
          this.confirm();
          this.startConfirms();
        }
        return;
      case TCC_STATUS.CONFIRMING:
        this.startConfirms();
        if (this.state.steps.every((s) => s.status === STEP_STATUS.CONFIRMED)) this.state.status = TCC_STATUS.CONFIRMED;
        else if (this.nothingScheduled()) this.markStuck();
        return;
      case TCC_STATUS.CANCELLING:
        this.undoReady(STEP_STATUS.CANCELLING, 'cancel');
        if (!this.state.steps.some((s) => s.status === STEP_STATUS.CANCELLING)) {
          if (this.state.steps.some((s) => s.status === STEP_STATUS.STUCK)) this.markStuck();
          else this.state.status = TCC_STATUS.CANCELLED;
        } else if (this.nothingScheduled()) {
          this.markStuck();
        }
        return;
      // Settled or parked for an operator: nothing to start.
      case TCC_STATUS.CONFIRMED:
      case TCC_STATUS.CANCELLED:
      case TCC_STATUS.STUCK:
      case TCC_STATUS.RESOLVED:
        return;
    }
  }
}
