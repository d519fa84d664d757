import type { TraceContext } from '@accord/contracts';
import type { OwedCall, SweepStore } from '@accord/persistence';
import { Periodic } from './periodic';
import type { StepQueue } from './step.queue';

export interface SweeperOptions {
  intervalMs: number;
  graceMs: number;
  batchSize?: number;
  onDeadline: (transactionId: string) => Promise<void>;
  onError: (error: unknown) => void;
  /** Each call about to be enqueued again (it had no job): what its job
   * carries (tracing: the recovery's span), or null. */
  onRecovered?: (call: OwedCall) => TraceContext | null;
}

export interface SweepReport {
  requeued: number;
  deadlines: number;
}

/**
 * Recovery: re-enqueues every call Postgres says is owed, no worker holds and
 * Redis has no job for, and fires overdue deadlines. Runs at start-up and then every interval, on
 * every replica. A crash between commit and enqueue, or a Redis that lost its
 * data, delays a step by one sweep and never loses it.
 */
export class Sweeper {
  private readonly periodic: Periodic;

  constructor(
    private readonly store: SweepStore,
    private readonly queue: StepQueue,
    private readonly options: SweeperOptions,
  ) {
    this.periodic = new Periodic(() => this.sweepOnce(), options.intervalMs, options.onError);
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  async sweepOnce(): Promise<SweepReport> {
    const batch = this.options.batchSize ?? 500;
    const owed = await this.queue.withoutJob(await this.store.owedCalls(this.options.graceMs, batch));
    const recovered = this.options.onRecovered;
    // A claim taken for the lost job goes with its new one (`claim`), so that
    // job may take it over, as a call that may have been sent, before its lease ends.
    await this.queue.enqueue(owed.map((c) => ({ ...c, dueAt: 0, trace: recovered ? recovered(c) : null })));
    const overdue = await this.store.overdueDeadlines(batch);
    for (const id of overdue) await this.options.onDeadline(id);
    return { requeued: owed.length, deadlines: overdue.length };
  }
}
