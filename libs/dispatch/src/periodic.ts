/** Runs a task now and then every `intervalMs` after the previous run ended
 * (runs never overlap); `stop()` aborts the task's signal and waits for a
 * run in progress. */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = true;
  private abort = new AbortController();

  constructor(
    private readonly task: (signal: AbortSignal) => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.abort = new AbortController();
    this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.task(this.abort.signal)
      .catch((error) => this.onError(error))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.intervalMs);
      });
  }
}
