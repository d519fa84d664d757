import { decide, isSettled, isTerminal, type Decision, type MachineEvent, type StepState, type TransactionState } from '@accord/core';
import { toTransactionState, type AttemptRecord, type AuditEntry, type TransactionRecord, type TransactionStore } from '@accord/persistence';
import type { StepQueue } from '@accord/dispatch';
import { systemClock } from './clock';
import type { EngineHooks } from './engine.hooks';
import type { PlanResolver } from './plan.resolver';
import { stepWrites } from './step-writes';

/** What to feed the machine, given the freshly loaded transaction; null to
 * leave it alone. The attempt (if any) is logged with the transition. */
export type EventSource = (
  record: TransactionRecord,
) => { event: MachineEvent; attempt?: AttemptRecord; audit?: AuditEntry } | null;

export type TransitionOutcome =
  | { kind: 'not-found' }
  | { kind: 'skipped'; record: TransactionRecord }
  | { kind: 'rejected'; record: TransactionRecord; decision: Decision<TransactionState> }
  | { kind: 'applied'; record: TransactionRecord; decision: Decision<TransactionState> };

const MAX_RACES = 50;

/**
 * Load → decide → compare-and-set → enqueue. A lost race (another result
 * committed first) reloads and decides again; jobs are enqueued only after
 * the commit, and a failed enqueue is left to the sweeper.
 */
export class TransitionRunner {
  constructor(
    private readonly store: TransactionStore,
    private readonly queue: StepQueue,
    private readonly plans: PlanResolver,
    private readonly leaseMarginMs: number,
    private readonly hooks: EngineHooks,
  ) {}

  /** `known`: the transaction as the caller already read it (e.g. with its
   * claim), tried first instead of a load. Only an applied transition may
   * rest on it, because the commit's version check proves it current; any
   * other outcome is decided again from a fresh load. */
  async run(id: string, source: EventSource, known?: TransactionRecord): Promise<TransitionOutcome> {
    let preloaded = known ?? null;
    for (let race = 0; race < MAX_RACES; race++) {
      const fresh = preloaded === null;
      const record = preloaded ?? (await this.store.load(id));
      preloaded = null;
      if (!record) return { kind: 'not-found' };
      const input = source(record);
      if (!input) {
        if (!fresh) continue;
        return { kind: 'skipped', record };
      }
      const plan = await this.plans.resolve(record);
      const before = toTransactionState(record);
      const decision = decide(plan, before, input.event, systemClock());
      if (decision.rejected) {
        if (!fresh) continue;
        if (input.attempt) await this.store.logAttempt({ ...input.attempt, applied: false });
        return { kind: 'rejected', record, decision };
      }
      const after = decision.state;
      const changedStatus = after.status !== before.status;
      const committed = await this.store.commit({
        id,
        expectedVersion: record.version,
        status: after.status,
        direction: after.direction,
        pivotPassed: after.pivotPassed,
        finished: isTerminal(after.status),
        notify: changedStatus && isSettled(after.status),
        steps: stepWrites(plan, before.steps, after.steps, this.leaseMarginMs),
        attempt: input.attempt ? { ...input.attempt, applied: true } : null,
        audit: input.audit ?? null,
      });
      if (!committed) continue;
      if (changedStatus) this.hooks.statusChanged(record, before.status, after.status);
      await this.enqueue(id, decision, dueEarlier(before.steps, after.steps));
      return { kind: 'applied', record, decision };
    }
    throw new Error(`transaction ${id}: gave up after ${MAX_RACES} lost races`);
  }

  /** `expedite`: calls already enqueued that became due earlier. */
  async enqueue(id: string, decision: Pick<Decision<TransactionState>, 'commands'>, expedite: readonly StepState[] = []): Promise<void> {
    if (decision.commands.length === 0 && expedite.length === 0) return;
    try {
      await this.queue.enqueue(decision.commands.map((c) => ({ transactionId: id, ...c })));
      await this.queue.expedite(expedite.map((s) => ({ transactionId: id, step: s.name, phase: s.phase!, attempt: s.attempt })));
    } catch (error) {
      this.hooks.enqueueFailed(id, error);
    }
  }
}

/** Steps still owing the same call, now due earlier than before. */
function dueEarlier(before: readonly StepState[], after: readonly StepState[]): StepState[] {
  const old = new Map(before.map((s) => [s.name, s]));
  return after.filter((s) => {
    const b = old.get(s.name)!;
    return s.dueAt !== null && b.dueAt !== null && s.dueAt < b.dueAt && s.phase === b.phase && s.attempt === b.attempt;
  });
}
