/** Counts the transactions that are not settled yet (not terminal, not STUCK). */
export type CountUnsettled = () => Promise<number>;

export interface InFlightLimitOptions {
  max: number;
  /** How long a count is trusted; the starts admitted here since are added to it. */
  recountMs: number;
  now?: () => number;
}

/**
 * MAX_IN_FLIGHT: whether one more start keeps the unsettled transactions
 * within the limit. Counting on every start would read the status index
 * each time; the count is read again at most every `recountMs` (one read
 * at a time), and the starts this replica admitted since are added to it.
 * Replicas see each other's starts at the next count, so the limit holds
 * to within what they admit in one interval.
 */
export class InFlightLimit {
  private counted = 0;
  private countedAt = Number.NEGATIVE_INFINITY;
  private admittedSince = 0;
  private recount: Promise<void> | null = null;
  private readonly now: () => number;

  constructor(
    private readonly countUnsettled: CountUnsettled,
    private readonly options: InFlightLimitOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async admit(): Promise<boolean> {
    if (this.now() - this.countedAt >= this.options.recountMs) await this.refresh();
    if (this.counted + this.admittedSince >= this.options.max) return false;
    this.admittedSince++;
    return true;
  }

  private refresh(): Promise<void> {
    this.recount ??= (async () => {
      const startedAt = this.now();
      const admittedBefore = this.admittedSince;
      try {
        this.counted = await this.countUnsettled();
        this.countedAt = startedAt;
        // Starts admitted while counting may or may not be in the count: kept, to stay on the safe side.
        this.admittedSince -= admittedBefore;
      } finally {
        this.recount = null;
      }
    })();
    return this.recount;
  }
}
