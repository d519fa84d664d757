import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics; names start with `accord_`. */
export class AccordMetrics {
  readonly registry = new Registry();
  readonly started = new Counter({
    name: 'accord_transactions_started_total',
    help: 'Transactions accepted, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly finished = new Counter({
    name: 'accord_transactions_finished_total',
    help: 'Transactions that reached a terminal status or STUCK, by outcome',
    labelNames: ['type', 'outcome'],
    registers: [this.registry],
  });
  readonly attemptDuration = new Histogram({
    name: 'accord_step_attempt_duration_seconds',
    help: 'Latency of participant calls, by phase and outcome',
    labelNames: ['phase', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly enqueueFailures = new Counter({
    name: 'accord_enqueue_failures_total',
    help: 'Fast-path enqueues that failed (the sweeper recovers them)',
    registers: [this.registry],
  });
  readonly announcements = new Counter({
    name: 'accord_announcements_total',
    help: 'Outbox announcements sent (the stuck webhook), by topic and outcome (delivered, failed: retried)',
    labelNames: ['topic', 'outcome'],
    registers: [this.registry],
  });
  readonly localFailures = new Counter({
    name: 'accord_local_failures_total',
    help: 'Participant calls this process could not make for want of its own resources (file descriptors, memory, ports), by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly transitionRaces = new Counter({
    name: 'accord_transition_races_total',
    help: 'Transitions that lost several version races in a row and backed off (replicas colliding on one transaction)',
    registers: [this.registry],
  });
  readonly stuck: Gauge;

  constructor(countStuck: () => Promise<number>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'accord_' });
    let lastStuck = 0;
    this.stuck = new Gauge({
      name: 'accord_transactions_stuck',
      help: 'Transactions waiting for an operator',
      registers: [this.registry],
      async collect() {
        // A scrape must answer while Postgres is down: the last count stays.
        lastStuck = await countStuck().catch(() => lastStuck);
        this.set(lastStuck);
      },
    });
  }

  /** `accord_redis_up`: 1 while the connection that carries the jobs is
   * ready. While it is 0, starts are still accepted and wait in Postgres. */
  watchRedis(isUp: () => boolean): void {
    new Gauge({
      name: 'accord_redis_up',
      help: 'Whether Redis (the job queue) can be reached: 1 up, 0 down (starts are still accepted and run once it is back)',
      registers: [this.registry],
      collect() {
        this.set(isUp() ? 1 : 0);
      },
    });
  }
}
