/**
 * Group commit: requests submitted while `maxInFlight` batches are already
 * running wait and go together in the next one. At low load every request
 * runs alone at once (no added latency); under load many share one
 * statement. Requests with the same key never share a batch.
 */
export class Batcher<Req, Res> {
  private pending: { req: Req; resolve: (res: Res) => void; reject: (error: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly runBatch: (batch: Req[]) => Promise<Res[]>,
    private readonly runOne: (req: Req) => Promise<Res>,
    private readonly options: { maxInFlight: number; maxSize: number; key: (req: Req) => string },
  ) {}

  submit(req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.pending.push({ req, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.pending.length > 0) {
      const batch: typeof this.pending = [];
      const rest: typeof this.pending = [];
      const keys = new Set<string>();
      for (const item of this.pending) {
        const key = this.options.key(item.req);
        if (batch.length < this.options.maxSize && !keys.has(key)) {
          batch.push(item);
          keys.add(key);
        } else {
          rest.push(item);
        }
      }
      this.pending = rest;
      this.inFlight++;
      void this.execute(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** A failing batch is retried one request at a time, so one bad request
   * (say, a value Postgres cannot store) fails alone. */
  private async execute(batch: typeof this.pending): Promise<void> {
    if (batch.length > 1) {
      try {
        const results = await this.runBatch(batch.map((b) => b.req));
        batch.forEach((b, i) => b.resolve(results[i]));
        return;
      } catch {
        // fall through to one at a time
      }
    }
    await Promise.all(
      batch.map(async (b) => {
        try {
          b.resolve(await this.runOne(b.req));
        } catch (error) {
          b.reject(error);
        }
      }),
    );
  }
}
