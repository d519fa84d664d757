import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GaugeReading } from '@accord/persistence';

/**
 * Prometheus metrics; names start with `accord_`. Labels are bounded: a
 * definition's name, a type, a phase, an outcome, never an id or a URL.
 * Transactions started from an inline spec count under `INLINE_DEFINITION`.
 */
export class AccordMetrics {
  readonly registry = new Registry();
  readonly started = new Counter({
    name: 'accord_transactions_started_total',
    help: 'Transactions accepted, by definition and type',
    labelNames: ['definition', 'type'],
    registers: [this.registry],
  });
  readonly finished = new Counter({
    name: 'accord_transactions_finished_total',
    help: 'Transactions that reached a terminal status, by definition, type and outcome (the status)',
    labelNames: ['definition', 'type', 'outcome'],
    registers: [this.registry],
  });
  readonly becameStuck = new Counter({
    name: 'accord_transactions_stuck_total',
    help: 'Times a transaction became STUCK (waiting for an operator), by definition and type',
    labelNames: ['definition', 'type'],
    registers: [this.registry],
  });
  readonly attemptDuration = new Histogram({
    name: 'accord_step_attempt_duration_seconds',
    help: 'Latency of participant calls, by phase and outcome',
    labelNames: ['phase', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'accord_step_retries_total',
    help: 'Participant calls that were a retry (attempt 2 or later of their phase), by phase',
    labelNames: ['phase'],
    registers: [this.registry],
  });
  readonly sweeperRecovered = new Counter({
    name: 'accord_sweeper_recovered_total',
    help: 'Calls the recovery sweeper enqueued again from Postgres (owed, unleased, older than SWEEP_GRACE_MS), by phase',
    labelNames: ['phase'],
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

  /** `readGauges`: Postgres's view of the work, read once per scrape and
   * shared by the gauges below; `redisUp`: whether the queue's connection is ready. */
  constructor(readGauges: () => Promise<GaugeReading>, redisUp: () => boolean) {
    collectDefaultMetrics({ register: this.registry, prefix: 'accord_' });
    const reading = oncePerScrape(readGauges);
    new Gauge({
      name: 'accord_ready',
      help: 'Whether this replica is ready (1: Postgres answers, as /health/ready)',
      registers: [this.registry],
      async collect() {
        this.set(await reading().then(() => 1, () => 0));
      },
    });
    new Gauge({
      name: 'accord_redis_up',
      help: 'Whether the queue\'s Redis connection is up (0: starts are accepted, their steps wait)',
      registers: [this.registry],
      collect() {
        this.set(redisUp() ? 1 : 0);
      },
    });
    const fromPostgres = (name: string, help: string, pick: (r: GaugeReading) => number) => {
      let last = 0;
      return new Gauge({
        name,
        help,
        registers: [this.registry],
        // A scrape must answer while Postgres is down: the last value stays
        // (accord_ready says it is not fresh).
        async collect() {
          last = await reading().then(pick, () => last);
          this.set(last);
        },
      });
    };
    fromPostgres('accord_transactions_in_flight', 'Transactions still moving (not terminal, not STUCK)', (r) => r.inFlight);
    fromPostgres('accord_transactions_stuck', 'Transactions waiting for an operator', (r) => r.stuck);
    fromPostgres('accord_backlog_due_steps', 'Steps whose call is due and that no worker holds', (r) => r.dueSteps);
    fromPostgres('accord_backlog_oldest_due_seconds', 'How long the oldest due, unheld step has waited (0: none)', (r) => r.oldestDueSeconds);
  }

}

/** The label of transactions started from an inline spec (a definition name cannot hold parentheses). */
export const INLINE_DEFINITION = '(inline)';

/** The gauges of one scrape are collected together: they share one read. */
function oncePerScrape<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    if (!pending) {
      pending = read();
      const clear = () => {
        pending = null;
      };
      pending.then(clear, clear);
    }
    return pending;
  };
}
