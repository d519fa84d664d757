import type IORedis from 'ioredis';
import type { TraceContext } from '@accord/contracts';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { AccordConfig } from '@accord/config';
import { createRedis, Periodic, purgeExpired, StepQueue, StepWorker, Sweeper } from '@accord/dispatch';
import {
  DeliverAnnouncements, InFlightLimit, ManageApiKeys, PlanResolver, RegisterDefinition, RetryTransactions, RunStepAttempt, StartTransaction, TransactionEvents,
  TransitionRunner, WaitForTransaction, type Tracing,
} from '@accord/engine';
import {
  ApiKeyStore, AuditStore, createDataSource, DefinitionStore, GaugeStore, OutboxStore, PgNotifications, RetentionStore, SweepStore,
  TransactionQueryStore, TransactionStore, TransactionWaiters, type OwedCall,
} from '@accord/persistence';
import { targetPolicy, type TargetPolicy } from '@accord/core';
import { AccordMetrics, TelemetryHooks, transactionFields } from '@accord/telemetry';
import {
  BrokerClients, checkTarget, HttpInvoker, localAddresses, MessageInvoker, RoutingInvoker, WebhookSender, type ParticipantInvoker,
} from '@accord/transport';

/** How long a count of the unsettled transactions serves MAX_IN_FLIGHT. */
const IN_FLIGHT_RECOUNT_MS = 250;

/** Retention waits four times as long as a batch took before the next: at
 * most a fifth of one Postgres connection, however large the backlog. */
const RETENTION_PAUSE_RATIO = 4;

/**
 * The composition root: every long-lived object of a coordinator process,
 * built once from the config. Nest receives them as values; the process
 * lifecycle (start workers when ready, drain on shutdown) lives in main.ts.
 */
export class Runtime {
  readonly dataSource: DataSource;
  readonly redis: IORedis;
  readonly workerRedis: IORedis;
  /** The rate limit's counters (RATE_LIMIT_PER_MINUTE set); null otherwise. */
  readonly rateLimitRedis: IORedis | null;
  readonly queue: StepQueue;
  readonly store: TransactionStore;
  readonly queries: TransactionQueryStore;
  readonly definitions: DefinitionStore;
  readonly audit: AuditStore;
  readonly apiKeys: ApiKeyStore;
  readonly manageApiKeys: ManageApiKeys;
  readonly waiters: TransactionWaiters;
  /** LISTEN/NOTIFY: the waiters, and the caches of definitions and API keys. */
  private readonly notifications: PgNotifications;
  readonly metrics: AccordMetrics;
  /** Where participants may be called (the contract's "Safe targets"). */
  readonly targets: TargetPolicy;
  /** The coordinator's own port(s), which the target policy refuses; the
   * real port is added once listening when PORT=0 picked one. */
  private readonly selfPorts: number[];
  /** The @nestjs/microservices clients of message participants. */
  readonly brokers: BrokerClients;
  readonly invoker: ParticipantInvoker;
  readonly plans: PlanResolver;
  readonly runner: TransitionRunner;
  readonly start: StartTransaction;
  readonly events: TransactionEvents;
  readonly wait: WaitForTransaction;
  readonly retryMany: RetryTransactions;
  readonly register: RegisterDefinition;
  readonly runStep: RunStepAttempt;
  /** The stuck webhook's sender (STUCK_WEBHOOK_URL set); null otherwise. */
  private readonly webhook: WebhookSender | null;
  private readonly hooks: TelemetryHooks;
  private worker: StepWorker | null = null;
  private sweeper: Sweeper | null = null;
  private retention: Periodic | null = null;
  private announcements: Periodic | null = null;

  /** `tracing`: OpenTelemetry's when an OTLP endpoint is configured, else `Untraced`. */
  constructor(
    readonly config: AccordConfig,
    readonly logger: Logger,
    readonly tracing: Tracing,
  ) {
    this.dataSource = createDataSource({
      url: config.DATABASE_URL,
      poolSize: config.DATABASE_POOL_SIZE,
      connectTimeoutMs: config.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT_MS,
    });
    // Producer side fails fast while Redis is down: a start or a result is
    // already committed in Postgres, and the sweeper enqueues it later.
    this.redis = createRedis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.workerRedis = createRedis(config.REDIS_URL);
    // Its own connection with a short command timeout: a request waits at
    // most this long for its counter before the limit fails open.
    this.rateLimitRedis = config.RATE_LIMIT_PER_MINUTE
      ? createRedis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250 })
      : null;
    this.queue = new StepQueue(
      this.redis,
      config.QUEUE_PREFIX,
      (error) => logger.warn({ err: error }, 'queue error'),
      () => tracing.active(),
    );
    this.store = new TransactionStore(this.dataSource);
    this.queries = new TransactionQueryStore(this.dataSource);
    this.definitions = new DefinitionStore(this.dataSource);
    this.audit = new AuditStore(this.dataSource);
    this.apiKeys = new ApiKeyStore(this.dataSource);
    this.manageApiKeys = new ManageApiKeys(this.apiKeys);
    this.waiters = new TransactionWaiters();
    this.store.notifyObserver = this.waiters;
    this.notifications = new PgNotifications(config.DATABASE_URL, [
      this.waiters,
      this.definitions.cacheSubscriber(),
      this.apiKeys.cacheSubscriber(),
    ]);
    const gauges = new GaugeStore(this.dataSource);
    this.metrics = new AccordMetrics(() => gauges.read(), () => this.redis.status === 'ready');
    this.selfPorts = [config.PORT];
    this.targets = targetPolicy({
      allow: config.PARTICIPANT_ALLOW ?? null,
      refuseLoopback: config.production,
      selfPorts: this.selfPorts,
      selfAddresses: localAddresses(),
    });
    this.brokers = new BrokerClients(
      {
        natsServers: config.NATS_URL,
        rabbitmqUrls: config.RABBITMQ_URL,
        redisUrl: config.TRANSPORT_REDIS_URL ?? config.REDIS_URL,
        redisAtStartUp: config.TRANSPORT_REDIS_URL !== undefined,
      },
      (message, error) => logger.warn({ err: error }, message),
    );
    this.invoker = new RoutingInvoker(
      new HttpInvoker({ policy: this.targets, signingSecret: config.SIGNING_SECRET, connectionsPerOrigin: config.PARTICIPANT_CONNECTIONS_PER_ORIGIN }),
      new MessageInvoker({ clients: this.brokers, policy: this.targets, signingSecret: config.SIGNING_SECRET }),
    );
    const hooks = new TelemetryHooks(this.metrics, logger);
    this.hooks = hooks;
    this.plans = new PlanResolver(this.definitions);
    this.runner = new TransitionRunner(
      this.store,
      this.queue,
      this.plans,
      { leaseMarginMs: config.LEASE_MARGIN_MS, announceStuck: config.STUCK_WEBHOOK_URL !== undefined },
      hooks,
    );
    this.webhook = config.STUCK_WEBHOOK_URL
      ? new WebhookSender(config.STUCK_WEBHOOK_URL, {
          policy: this.targets,
          signingSecret: config.SIGNING_SECRET,
          timeoutMs: config.STUCK_WEBHOOK_TIMEOUT_MS,
        })
      : null;
    const inFlight = config.MAX_IN_FLIGHT
      ? new InFlightLimit(() => gauges.inFlight(), { max: config.MAX_IN_FLIGHT, recountMs: IN_FLIGHT_RECOUNT_MS })
      : null;
    this.wait = new WaitForTransaction(this.store, this.waiters);
    this.start = new StartTransaction(
      this.definitions,
      this.plans,
      this.store,
      this.runner,
      hooks,
      config.LEASE_MARGIN_MS,
      this.targets,
      this.brokers.configured,
      this.wait,
      tracing,
      inFlight,
    );
    this.events = new TransactionEvents(this.runner);
    this.retryMany = new RetryTransactions(this.queries, this.events);
    this.register = new RegisterDefinition(this.definitions, this.targets, this.brokers.configured);
    this.runStep = new RunStepAttempt(this.store, this.runner, this.plans, this.invoker, hooks, tracing);
    this.redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
    this.workerRedis.on('error', (error) => logger.warn({ err: error }, 'redis (worker) connection error'));
    this.rateLimitRedis?.on('error', (error) => logger.warn({ err: error }, 'redis (rate limit) connection error; the rate limit is open'));
  }

  /** STUCK_WEBHOOK_URL passes the safe-target check, as written and as it
   * resolves now; a name that does not resolve yet is only a warning (every
   * delivery is checked again when it connects). */
  async checkWebhookTarget(): Promise<string | null> {
    const url = this.config.STUCK_WEBHOOK_URL;
    if (!url) return null;
    try {
      const verdict = await checkTarget(url, this.targets);
      return verdict.ok ? null : `STUCK_WEBHOOK_URL: forbidden target: ${verdict.reason}`;
    } catch (error) {
      this.logger.warn({ code: (error as { code?: unknown }).code }, 'STUCK_WEBHOOK_URL does not resolve yet; deliveries are checked when they connect');
      return null;
    }
  }

  /** The port the HTTP server listens on, for the target policy's "the coordinator itself". */
  listeningOn(port: number): void {
    if (!this.selfPorts.includes(port)) this.selfPorts.push(port);
  }

  /** After the HTTP server is up: listen, and unless ROLE=api, connect the
   * brokers, consume jobs, sweep and run the periodic jobs. */
  async startBackground(): Promise<void> {
    await this.notifications.start();
    if (this.config.ROLE === 'api') return;
    await this.brokers.connect();
    this.worker = new StepWorker(this.workerRedis, (call, trace, claim) => this.runStep.execute(call, trace, claim), {
      prefix: this.config.QUEUE_PREFIX,
      concurrency: this.config.WORKER_CONCURRENCY,
      onError: (error) => this.logger.warn({ err: error }, 'worker error'),
    });
    this.sweeper = new Sweeper(new SweepStore(this.dataSource), this.queue, {
      intervalMs: this.config.SWEEP_INTERVAL_MS,
      graceMs: this.config.SWEEP_GRACE_MS,
      onDeadline: (id) => this.events.deadline(id),
      onError: (error) => this.logger.warn({ err: error }, 'sweep failed; retrying next interval'),
      onRecovered: (call) => this.recovered(call),
    });
    this.sweeper.start();
    if (this.webhook) {
      const lease = this.config.STUCK_WEBHOOK_TIMEOUT_MS + this.config.LEASE_MARGIN_MS;
      const deliver = new DeliverAnnouncements(new OutboxStore(this.dataSource), this.webhook, lease, this.hooks);
      this.announcements = new Periodic(
        () => deliver.execute(),
        this.config.SWEEP_INTERVAL_MS,
        (error) => this.logger.warn({ err: error }, 'announcement delivery failed; retrying next interval'),
      );
      this.announcements.start();
    }
    if (this.config.RETENTION_DAYS > 0) {
      const store = new RetentionStore(this.dataSource);
      this.retention = new Periodic(
        async (signal) => {
          const deleted = await purgeExpired(store, this.config.RETENTION_DAYS, { pauseRatio: RETENTION_PAUSE_RATIO, signal });
          if (deleted > 0) this.logger.info({ deleted, days: this.config.RETENTION_DAYS }, 'retention: deleted finished transactions');
        },
        this.config.RETENTION_INTERVAL_MS,
        (error) => this.logger.warn({ err: error }, 'retention run failed; retrying next interval'),
      );
      this.retention.start();
    }
  }

  /** The sweeper enqueues an owed call again: counted, logged, traced. */
  private recovered(call: OwedCall): TraceContext | null {
    this.metrics.sweeperRecovered.inc({ phase: call.phase });
    const trace = this.tracing.recovered(call, call.transactionTrace);
    const transaction = { id: call.transactionId, traceparent: (trace ?? call.transactionTrace)?.traceparent ?? null };
    this.logger.info({ ...transactionFields(transaction, call) }, 'sweeper: enqueued an owed call again');
    return trace;
  }

  /** Stops taking work, lets jobs in hand finish, then closes connections. */
  async stop(): Promise<void> {
    await this.retention?.stop();
    await this.announcements?.stop();
    await this.webhook?.close();
    await this.sweeper?.stop();
    await this.worker?.close();
    await this.notifications.stop();
    this.waiters.releaseAll();
    await this.queue.close();
    await this.invoker.close();
    this.redis.disconnect();
    this.workerRedis.disconnect();
    this.rateLimitRedis?.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
