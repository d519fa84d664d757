import { renderTemplate, STEP_STATUS, type Phase, type StepStatus } from '@accord/contracts';
import type { Plan, PlannedStep } from '../definition/plan';
import type { Outcome } from '../outcome/outcome.classify';
import { backoffDelay, budgetLeft } from '../retry/retry.policy';
import type { CallCommand, Clock, Decision, MachineEvent } from './machine.types';
import type { Reason, StepState, TransactionState } from './transaction.state';

export type Rejected = ['stale' | 'invalid-state', string] | null;

/**
 * A mutable copy of a transaction's state for one decision, with what saga
 * and TCC machines share: scheduling calls, retry budgets, input rendering
 * and ordering over the dependency graph.
 */
export abstract class MachineDraft<S extends TransactionState> {
  readonly state: S;
  readonly commands: CallCommand[] = [];
  protected readonly planned: Map<string, PlannedStep>;
  private readonly maxParallel: number;
  private exhausted = false;

  constructor(
    plan: Plan,
    original: S,
    protected readonly clock: Clock,
  ) {
    this.state = { ...original, steps: original.steps.map((s) => ({ ...s })) };
    this.planned = new Map(plan.steps.map((s) => [s.name, s]));
    this.maxParallel = plan.maxParallel;
  }

  /** The decision for one event: the new state and its calls, or the input
   * state untouched with the reason it was rejected. */
  decide(original: S, event: MachineEvent): Decision<S> {
    const rejection = this.apply(event);
    if (rejection) return { state: original, commands: [], rejected: rejection[0], reason: rejection[1] };
    return { state: this.state, commands: this.commands, ...(this.exhausted ? { exhausted: true as const } : {}) };
  }

  protected abstract apply(event: MachineEvent): Rejected;

  /** Operator retry, the same for every machine: only a STUCK transaction is
   * resumed, with fresh budgets (`resume`). A new input replaces the
   * transaction's from then on: steps whose forward call has not succeeded
   * render their templates from it; the others, and every undo, keep what
   * their action was sent. */
  protected retryStuck(noun: string, input: unknown, forward: Phase, resume: () => void): Rejected {
    if (this.state.status !== STEP_STATUS.STUCK) return ['invalid-state', `only a STUCK ${noun} can be retried (it is ${this.state.status})`];
    if (input !== undefined) {
      this.state.input = input;
      for (const step of this.state.steps) {
        if (step.status === STEP_STATUS.STUCK && step.phase === forward) step.input = this.renderInput(step.name);
      }
    }
    this.state.stuckReason = null;
    resume();
    return null;
  }

  protected resolveStuck(noun: string): Rejected {
    if (this.state.status !== STEP_STATUS.STUCK) return ['invalid-state', `only a STUCK ${noun} can be resolved (it is ${this.state.status})`];
    this.state.status = 'RESOLVED';
    for (const step of this.state.steps) step.dueAt = null;
    return null;
  }

  /** Operator skip: the STUCK call of one step is closed by hand. `closed`
   * maps the phase it is stuck in to the status it ends in; going forward
   * (`forward`) it ends SUCCEEDED with `output`. The transaction, if it was
   * STUCK, moves again (`resume`: its in-flight status). */
  protected skipStuck(name: string, output: unknown, forward: Phase, closed: Partial<Record<Phase, StepStatus>>, resume: () => void): Rejected {
    const step = this.state.steps.find((s) => s.name === name);
    if (!step) return ['invalid-state', `no step "${name}"`];
    if (step.status !== STEP_STATUS.STUCK) return ['invalid-state', `step "${name}" is ${step.status}, not STUCK`];
    if (step.phase === forward) {
      step.status = STEP_STATUS.SUCCEEDED;
      step.output = output ?? null;
      step.mayHaveApplied = true;
    } else {
      if (output !== undefined) return ['invalid-state', `step "${name}" is stuck in its ${step.phase}: an output applies only to a step skipped going forward`];
      step.status = closed[step.phase!]!;
    }
    if (this.state.status === STEP_STATUS.STUCK) {
      this.state.stuckReason = null;
      resume();
    }
    return null;
  }

  /** The transaction stops for an operator; the first stuck step says why. */
  protected markStuck(): void {
    this.state.status = STEP_STATUS.STUCK;
    const step = this.state.steps.find((s) => s.status === STEP_STATUS.STUCK);
    this.state.stuckReason = step
      ? { step: step.name, phase: step.phase, message: step.lastError ?? `${step.phase} failed` }
      : { step: null, phase: null, message: 'nothing can move' };
  }

  /** Records why a rollback (or cancel) starts; the first cause wins. */
  protected rollbackBecause(reason: Reason): void {
    this.state.rollbackReason ??= reason;
  }

  /** Events are deserialised by the shell: never let an unknown one through. */
  protected unknownEvent(event: never): Rejected {
    return ['invalid-state', `unknown event type "${String((event as { type?: unknown }).type)}"`];
  }

  /** The step owing exactly this call, or null: a result for anything else is stale. */
  protected outstanding(name: string, phase: Phase, attempt: number): StepState | null {
    const step = this.state.steps.find((s) => s.name === name);
    return step && step.phase === phase && step.attempt === attempt && step.dueAt !== null ? step : null;
  }

  protected schedule(step: StepState, phase: Phase, attempt: number, dueAt: number): void {
    step.phase = phase;
    step.attempt = attempt;
    if (attempt === 1) step.attemptBase = 0;
    step.dueAt = dueAt;
    this.commands.push({ type: 'call', transactionId: this.state.id, step: step.name, phase, attempt, dueAt });
  }

  /** Schedules the next attempt of the step's phase; false when its budget is spent. */
  protected scheduleRetry(step: StepState, retryAfterMs?: number): boolean {
    const policy = this.planned.get(step.name)!.retry;
    const used = step.attempt - step.attemptBase;
    if (!budgetLeft(policy, used)) {
      this.exhausted = true;
      return false;
    }
    const delay = backoffDelay(policy, used, this.clock.random(), retryAfterMs);
    this.schedule(step, step.phase!, step.attempt + 1, this.clock.now + delay);
    return true;
  }

  /** Compensation, confirm and cancel cannot be refused: they succeed, are
   * retried within their budget, or leave the step STUCK. */
  protected closingResult(step: StepState, outcome: Outcome, done: StepStatus): void {
    switch (outcome.type) {
      case 'ok':
        step.status = done;
        return;
      case 'retry':
        if (this.scheduleRetry(step, outcome.retryAfterMs)) return;
        step.lastError = `retry budget exhausted: ${step.lastError ?? 'no definite answer'}`;
        step.status = STEP_STATUS.STUCK;
        return;
      case 'refused':
      case 'misconfigured':
        step.status = STEP_STATUS.STUCK;
        return;
    }
  }

  /** Starts the forward phase of pending steps whose dependencies succeeded,
   * in definition order, as far as the transaction's free call slots go. */
  protected startReady(running: StepStatus, phase: Phase): void {
    const byName = new Map(this.state.steps.map((s) => [s.name, s]));
    let free = this.freeSlots();
    for (const step of this.state.steps) {
      if (free === 0) return;
      if (step.status !== STEP_STATUS.PENDING) continue;
      if (this.planned.get(step.name)!.deps.every((d) => byName.get(d)!.status === STEP_STATUS.SUCCEEDED)) {
        step.status = running;
        step.input = this.renderInput(step.name);
        this.schedule(step, phase, 1, this.clock.now);
        free--;
      }
    }
  }

  /** Calls this transaction may still start now (plan.maxParallel). */
  protected freeSlots(): number {
    return Math.max(0, this.maxParallel - this.state.steps.filter((s) => s.dueAt !== null).length);
  }

  /** Starts the undo phase of every waiting step none of whose descendants is
   * still being undone or awaited: reverse dependency order, transitively
   * (a -> b with nothing to undo -> c still undoes c before a). */
  protected undoReady(undoing: StepStatus, phase: Phase): void {
    const byName = new Map(this.state.steps.map((s) => [s.name, s]));
    let free = this.freeSlots();
    for (const step of this.state.steps) {
      if (free === 0) return;
      if (step.status !== undoing || step.dueAt !== null || step.phase === phase) continue;
      const blocked = this.planned.get(step.name)!.dependents.some((d) => {
        const status = byName.get(d)!.status;
        return status === undoing || status === STEP_STATUS.AWAITING || status === STEP_STATUS.STUCK;
      });
      if (blocked) continue;
      this.schedule(step, phase, 1, this.clock.now);
      free--;
    }
  }

  /** Every STUCK step gets a fresh budget for the phase it was stuck in, all
   * at once: an operator retry is not held to maxParallel. */
  protected resumeStuck(status: StepStatus): void {
    for (const step of this.state.steps) {
      if (step.status !== STEP_STATUS.STUCK) continue;
      step.status = status;
      step.attemptBase = step.attempt;
      this.schedule(step, step.phase!, step.attempt + 1, this.clock.now);
    }
  }

  /** A result that arrives after the deadline finds the transaction still
   * going forward: it rolls back, whatever the sweeper's timing. */
  protected deadlinePassed(): boolean {
    return !this.state.pivotPassed && this.state.deadlineAt !== null && this.clock.now >= this.state.deadlineAt;
  }

  protected nothingScheduled(): boolean {
    return !this.state.steps.some((s) => s.dueAt !== null);
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
