import { ancestorsOf } from '../definition/definition.compile';
import type { Plan, PlannedStep } from '../definition/plan';
import type { Outcome } from '../outcome/outcome.classify';
import type { Phase } from '../phase';
import { backoffDelay, budgetLeft } from '../retry/retry.policy';
import { renderTemplate } from '../template/template.render';
import type { CallCommand, Clock, Decision, MachineEvent } from './machine.types';
import { STEP_STATUS, type StepState, type StepStatus, type TransactionState } from './transaction.state';

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
  /** Every step that depends on a step, directly or transitively. */
  private readonly descendants: Map<string, string[]>;

  constructor(
    plan: Plan,
    original: S,
    protected readonly clock: Clock,
  ) {
    this.state = { ...original, steps: original.steps.map((s) => ({ ...s })) };
    this.planned = new Map(plan.steps.map((s) => [s.name, s]));
    const ancestors = new Map(plan.steps.map((s) => [s.name, ancestorsOf(s.name, plan.steps)]));
    this.descendants = new Map(
      plan.steps.map((s) => [s.name, plan.steps.filter((d) => ancestors.get(d.name)!.has(s.name)).map((d) => d.name)]),
    );
  }

  /** The decision for one event: the new state and its calls, or the input
   * state untouched with the reason it was rejected. */
  decide(original: S, event: MachineEvent): Decision<S> {
    const rejection = this.apply(event);
    if (rejection) return { state: original, commands: [], rejected: rejection[0], reason: rejection[1] };
    return { state: this.state, commands: this.commands };
  }

  protected abstract apply(event: MachineEvent): Rejected;

  /** Operator actions are the same for every machine: only a STUCK
   * transaction is retried (resumed with fresh budgets) or resolved by hand. */
  protected operatorAction(type: 'retry' | 'resolve', noun: string, resume: () => void): Rejected {
    const { status } = this.state;
    if (status !== STEP_STATUS.STUCK) {
      return ['invalid-state', `only a STUCK ${noun} can be ${type === 'retry' ? 'retried' : 'resolved'} (it is ${status})`];
    }
    if (type === 'retry') {
      resume();
      return null;
    }
    this.state.status = 'RESOLVED' as S['status'];
    for (const step of this.state.steps) step.dueAt = null;
    return null;
  }

  /** Events are deserialised by the shell: never let an unknown one through. */
  protected unknownEvent(event: never): Rejected {
    return ['invalid-state', `unknown event type "${(event as { type?: unknown }).type}"`];
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
    this.commands.push({ type: 'call', step: step.name, phase, attempt, dueAt });
  }

  /** Schedules the next attempt of the step's phase; false when its budget is spent. */
  protected scheduleRetry(step: StepState, retryAfterMs?: number): boolean {
    const policy = this.planned.get(step.name)!.retry;
    const used = step.attempt - step.attemptBase;
    if (!budgetLeft(policy, used)) return false;
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

  /** Starts the forward phase of every pending step whose dependencies succeeded. */
  protected startReady(running: StepStatus, phase: Phase): void {
    const byName = new Map(this.state.steps.map((s) => [s.name, s]));
    for (const step of this.state.steps) {
      if (step.status !== STEP_STATUS.PENDING) continue;
      if (this.planned.get(step.name)!.deps.every((d) => byName.get(d)!.status === STEP_STATUS.SUCCEEDED)) {
        step.status = running;
        step.input = this.renderInput(step.name);
        this.schedule(step, phase, 1, this.clock.now);
      }
    }
  }

  /** Starts the undo phase of every waiting step none of whose descendants is
   * still being undone or awaited: reverse dependency order, transitively
   * (a -> b with nothing to undo -> c still undoes c before a). */
  protected undoReady(undoing: StepStatus, phase: Phase): void {
    const byName = new Map(this.state.steps.map((s) => [s.name, s]));
    for (const step of this.state.steps) {
      if (step.status !== undoing || step.dueAt !== null || step.phase === phase) continue;
      const blocked = this.descendants.get(step.name)!.some((d) => {
        const status = byName.get(d)!.status;
        return status === undoing || status === STEP_STATUS.AWAITING || status === STEP_STATUS.STUCK;
      });
      if (!blocked) this.schedule(step, phase, 1, this.clock.now);
    }
  }

  /** Every STUCK step gets a fresh budget for the phase it was stuck in. */
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
