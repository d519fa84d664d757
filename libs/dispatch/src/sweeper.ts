import type { SweepStore } from '@accord/persistence';
import type { StepQueue } from './step.queue';

export interface SweeperOptions {
  intervalMs: number;
  graceMs: number;
  batchSize?: number;
  onDeadline: (transactionId: string) => Promise<void>;
  onError: (error: unknown) => void;
}

export interface SweepReport {
  requeued: number;
  deadlines: number;
}

/**
 * Recovery: re-enqueues every call Postgres says is owed and nobody holds,
 * and fires overdue deadlines. Runs at start-up and then every interval, on
 * every replica. A crash between commit and enqueue, or a Redis that lost its
 * data, delays a step by one sweep and never loses it.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;

  constructor(
    private readonly store: SweepStore,
    private readonly queue: StepQueue,
    private readonly options: SweeperOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  async sweepOnce(): Promise<SweepReport> {
    const batch = this.options.batchSize ?? 500;
    const owed = await this.store.owedCalls(this.options.graceMs, batch);
    await this.queue.enqueue(owed.map((c) => ({ ...c, dueAt: 0 })));
    const overdue = await this.store.overdueDeadlines(batch);
    for (const id of overdue) await this.options.onDeadline(id);
    return { requeued: owed.length, deadlines: overdue.length };
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.sweepOnce()
      .catch((error) => this.options.onError(error))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
      });
  }
}
