import { isSettled, isTerminal, STEP_STATUS } from '@accord/contracts';
import { decide, type CallCommand, type Decision, type MachineEvent, type StepState, type TransactionState } from '@accord/core';
import {
  toTransactionState, type AttemptRecord, type AuditEntry, type CarriedClaim, type TransactionRecord, type TransactionStore,
} from '@accord/persistence';
import type { StepQueue } from '@accord/dispatch';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from './clock';
import type { EngineHooks } from './engine.hooks';
import { Lanes } from './lanes';
import type { PlanResolver } from './plan.resolver';
import { stepWrites } from './step-writes';
import { stuckAnnouncement } from './stuck-announcement';

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

/** Lost races in a row after which the runner backs off, and says so. */
const RACES_BEFORE_BACKOFF = 8;

/**
 * Load → decide → compare-and-set → enqueue. Transitions of one transaction
 * take turns in this replica (Lanes); a race lost to another replica reloads
 * and decides again, backing off when it keeps losing, and never gives up:
 * giving up would have the participant called again. Jobs are enqueued only
 * after the commit, and a failed enqueue is left to the sweeper.
 */
export class TransitionRunner {
  private readonly lanes = new Lanes();

  constructor(
    private readonly store: TransactionStore,
    private readonly queue: StepQueue,
    private readonly plans: PlanResolver,
    private readonly options: TransitionOptions,
    private readonly hooks: EngineHooks,
  ) {}

  /** `known`: the transaction as the caller already read it (e.g. with its
   * claim), tried first instead of a load. Only an applied transition may
   * rest on it, because the commit's version check proves it current; any
   * other outcome is decided again from a fresh load. */
  run(id: string, source: EventSource, known?: TransactionRecord): Promise<TransitionOutcome> {
    // A transition that waited its turn finds the transaction moved on.
    return this.lanes.run(id, (waited) => this.runNow(id, source, waited ? undefined : known));
  }

  private async runNow(id: string, source: EventSource, known?: TransactionRecord): Promise<TransitionOutcome> {
    let preloaded = known ?? null;
    let last: TransactionRecord | null = null;
    for (let race = 0; ; race++) {
      if (race >= RACES_BEFORE_BACKOFF && last) await this.backOff(last, race);
      const fresh = preloaded === null;
      const record = preloaded ?? (await this.store.load(id));
      preloaded = null;
      if (!record) return { kind: 'not-found' };
      last = record;
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
      const inputChanged = after.input !== before.input;
      const becameStuck = changedStatus && after.status === STEP_STATUS.STUCK;
      const committed = await this.store.commit({
        id,
        expectedVersion: record.version,
        status: after.status,
        direction: after.direction,
        pivotPassed: after.pivotPassed,
        finished: isTerminal(after.status),
        notify: changedStatus && isSettled(after.status),
        rollbackReason: after.rollbackReason,
        stuckReason: after.stuckReason,
        newInput: inputChanged ? { value: after.input } : null,
        steps: stepWrites(plan, before.steps, after.steps, decision.commands, this.options.leaseMarginMs),
        attempt: input.attempt ? { ...input.attempt, applied: true, budgetExhausted: decision.exhausted === true } : null,
        audit: input.audit ? withChange(input.audit, before, after) : null,
        outbox: becameStuck && this.options.announceStuck ? [stuckAnnouncement(record, after)] : [],
      }, record);
      if (!committed) continue;
      if (changedStatus) this.hooks.statusChanged(record, before.status, after.status, 'step' in input.event ? input.event.step : undefined);
      await this.enqueue(committed, decision, dueEarlier(before.steps, after.steps));
      return { kind: 'applied', record, decision };
    }
  }

  /** Up to about a second, with jitter, so replicas that keep colliding spread out. */
  private async backOff(record: TransactionRecord, races: number): Promise<void> {
    this.hooks.racesRepeated(record, races);
    await sleep(Math.random() * Math.min(1000, 10 * 2 ** (races - RACES_BEFORE_BACKOFF)));
  }

  /** `committed`: the transaction as the commit that decided the calls left
   * it, whose pre-claimed steps hold the claims their jobs carry.
   * `expedite`: calls already enqueued that became due earlier. */
  async enqueue(committed: TransactionRecord, decision: Pick<Decision<TransactionState>, 'commands'>, expedite: readonly StepState[] = []): Promise<void> {
    if (decision.commands.length === 0 && expedite.length === 0) return;
    try {
      await this.queue.enqueue(decision.commands.map((c) => ({ ...c, claim: carriedClaim(committed, c, this.options.leaseMarginMs) })));
      await this.queue.expedite(expedite.map((s) => ({ transactionId: committed.id, step: s.name, phase: s.phase!, attempt: s.attempt })));
    } catch (error) {
      this.hooks.enqueueFailed(committed, error);
    }
  }
}

export interface TransitionOptions {
  /** Added to a call's timeout to form its lease. */
  leaseMarginMs: number;
  /** Write a `transaction.stuck` outbox row when a transaction becomes STUCK (STUCK_WEBHOOK_URL is set). */
  announceStuck: boolean;
}

/** An operator's audit entry with what the action changed: the status, and
 * the input when a retry replaced it. */
function withChange(audit: AuditEntry, before: TransactionState, after: TransactionState): AuditEntry {
  const changedInput = after.input !== before.input;
  return {
    ...audit,
    details: {
      ...(audit.details as Record<string, unknown> | undefined),
      before: { status: before.status, ...(changedInput ? { input: before.input } : {}) },
      after: { status: after.status, ...(changedInput ? { input: after.input } : {}) },
    },
  };
}

/** The claim the commit took for this call's job, if it pre-claimed it. It
 * may be used as it is for half the lease margin: the call's timeout then
 * still fits in its lease, even with the replicas' clocks that far apart. */
function carriedClaim(committed: TransactionRecord, call: CallCommand, leaseMarginMs: number): CarriedClaim | null {
  const step = committed.steps.find((s) => s.name === call.step);
  if (!step?.preclaimed || step.phase !== call.phase || step.attempt !== call.attempt) return null;
  return { claim: step.claim, useBy: Date.now() + leaseMarginMs / 2 };
}

/** Steps still owing the same call, now due earlier than before. */
function dueEarlier(before: readonly StepState[], after: readonly StepState[]): StepState[] {
  const old = new Map(before.map((s) => [s.name, s]));
  return after.filter((s) => {
    const b = old.get(s.name)!;
    return s.dueAt !== null && b.dueAt !== null && s.dueAt < b.dueAt && s.phase === b.phase && s.attempt === b.attempt;
  });
}
