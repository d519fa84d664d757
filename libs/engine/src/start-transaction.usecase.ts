import { randomUUID } from 'node:crypto';
import { canonicalJson, type MessageTransport, type Spec } from '@accord/contracts';
import { compileSpec, decide, forbiddenTargets, initialStateFor, unconfiguredTransports, type Plan, type TargetPolicy } from '@accord/core';
import { sha256, type DefinitionStore, type TransactionRecord, type TransactionStore } from '@accord/persistence';
import { systemClock } from './clock';
import type { EngineHooks } from './engine.hooks';
import type { PlanResolver } from './plan.resolver';
import { EngineError } from './engine.error';
import { stepWrites } from './step-writes';
import type { CallerTrace, StartSpan, Tracing } from './tracing';
import type { InFlightLimit } from './in-flight.limit';
import type { TransitionRunner } from './transition.runner';
import type { WaitForTransaction } from './wait-for-transaction.usecase';

export interface StartCommand {
  definition?: string;
  version?: number;
  spec?: unknown;
  input: unknown;
  idempotencyKey?: string;
  /** The caller's trace context, which the transaction joins. */
  trace?: CallerTrace;
  /** Answer once it settles (terminal or STUCK) or this many ms passed. */
  waitMs?: number;
}

export interface StartResult {
  record: TransactionRecord;
  /** False when an idempotency key matched an earlier start. */
  created: boolean;
}

/** What an OVERLOADED start is told to wait: about one recount of the limit. */
const OVERLOADED_RETRY_AFTER_SECONDS = 1;

/** Validates the request, writes the transaction with its first scheduled
 * steps in one statement, then enqueues them; with `waitMs`, answers once
 * the transaction settled or that long passed. */
export class StartTransaction {
  constructor(
    private readonly definitions: DefinitionStore,
    private readonly plans: PlanResolver,
    private readonly store: TransactionStore,
    private readonly runner: TransitionRunner,
    private readonly hooks: EngineHooks,
    private readonly leaseMarginMs: number,
    private readonly targets: TargetPolicy,
    /** The message transports this coordinator has a broker for. */
    private readonly transports: ReadonlySet<MessageTransport>,
    private readonly waiting: WaitForTransaction,
    private readonly tracing: Tracing,
    /** MAX_IN_FLIGHT; null: no limit. */
    private readonly inFlight: InFlightLimit | null = null,
  ) {}

  async execute(cmd: StartCommand): Promise<StartResult> {
    const started = await this.tracing.start(cmd.trace ?? {}, (span) => this.startOrReplay(span, cmd));
    if (!cmd.waitMs) return started;
    return { ...started, record: await this.waiting.execute({ id: started.record.id, known: started.record, waitMs: cmd.waitMs }) };
  }

  private async startOrReplay(span: StartSpan, cmd: StartCommand): Promise<StartResult> {
    const { plan, spec, definitionName, definitionVersion } = await this.resolve(cmd);
    // The request as given (wherever the key came from), so a replay with the
    // same body matches even after a newer version was registered.
    const requestHash = cmd.idempotencyKey
      ? sha256(canonicalJson({ definition: cmd.definition, version: cmd.version, spec: cmd.spec, input: cmd.input ?? null }))
      : '';
    if (this.inFlight && !(await this.inFlight.admit())) {
      // A replay adds no transaction: it is answered even at the limit.
      const replayed = cmd.idempotencyKey ? await this.replay(cmd.idempotencyKey, requestHash) : null;
      if (replayed) return replayed;
      throw new EngineError('OVERLOADED', 'too many transactions in flight (MAX_IN_FLIGHT); retry later', [], OVERLOADED_RETRY_AFTER_SECONDS);
    }
    const clock = systemClock();
    const id = randomUUID();
    const initial = initialStateFor(plan, id, cmd.input ?? null, clock.now);
    const decision = decide(plan, initial, { type: 'start' }, clock);
    const inserted = await this.store.insert({
      id,
      definitionName,
      definitionVersion,
      spec,
      type: plan.type,
      status: decision.state.status,
      direction: decision.state.direction,
      input: cmd.input ?? null,
      deadlineAt: decision.state.deadlineAt,
      traceparent: span.context.traceparent,
      tracestate: span.context.tracestate,
      // every step is new: all are written, those due at once pre-claimed
      steps: stepWrites(plan, [], decision.state.steps, decision.commands, this.leaseMarginMs),
      // A key seen before makes the insert write nothing; the replay below answers.
      idempotency: cmd.idempotencyKey ? { key: cmd.idempotencyKey, requestHash } : null,
    });
    if (!inserted) {
      const raced = await this.replay(cmd.idempotencyKey!, requestHash);
      if (raced) {
        span.started(raced.record);
        return raced;
      }
      throw new Error('idempotency key vanished during a race');
    }
    span.started(inserted);
    this.hooks.transactionStarted(inserted);
    await this.runner.enqueue(inserted, decision);
    return { record: inserted, created: true };
  }

  private async replay(key: string, requestHash: string): Promise<StartResult | null> {
    const existing = await this.store.findIdempotencyKey(key);
    if (!existing) return null;
    if (existing.requestHash !== requestHash) {
      throw new EngineError('IDEMPOTENCY_KEY_REUSED', `idempotency key "${key}" was already used for a different request`);
    }
    const record = await this.store.load(existing.transactionId);
    return record ? { record, created: false } : null;
  }

  private async resolve(cmd: StartCommand): Promise<{ plan: Plan; spec: Spec | null; definitionName: string | null; definitionVersion: number | null }> {
    let plan: Plan;
    let spec: Spec | null = null;
    let definitionName: string | null = null;
    let definitionVersion: number | null = null;
    if (cmd.spec !== undefined) {
      const compiled = compileSpec(cmd.spec);
      if (!compiled.ok) throw new EngineError('VALIDATION_FAILED', 'invalid inline spec', prefix('spec', compiled.issues));
      ({ plan, spec } = compiled.value);
      const forbidden = forbiddenTargets(spec, this.targets);
      if (forbidden.length > 0) throw new EngineError('FORBIDDEN_TARGET', 'a step endpoint of the inline spec is a forbidden target', prefix('spec', forbidden));
    } else {
      const record =
        cmd.version === undefined
          ? await this.definitions.latest(cmd.definition!)
          : await this.definitions.get(cmd.definition!, cmd.version);
      if (!record) {
        const which = cmd.version === undefined ? `"${cmd.definition}"` : `"${cmd.definition}" version ${cmd.version}`;
        throw new EngineError('DEFINITION_NOT_FOUND', `no definition ${which}`);
      }
      plan = await this.plans.resolve({ definitionName: record.name, definitionVersion: record.version, spec: null });
      definitionName = record.name;
      definitionVersion = record.version;
    }
    const unconfigured = unconfiguredTransports(plan, this.transports);
    if (unconfigured.length > 0) {
      const where = spec ? 'the inline spec' : `definition "${definitionName}" version ${definitionVersion}`;
      throw new EngineError('TRANSPORT_NOT_CONFIGURED', `a step endpoint of ${where} names a transport this coordinator has no broker for`, spec ? prefix('spec', unconfigured) : unconfigured);
    }
    return { plan, spec, definitionName, definitionVersion };
  }
}

function prefix(path: string, issues: { path: string; message: string }[]) {
  return issues.map((i) => ({ path: i.path ? `${path}.${i.path}` : path, message: i.message }));
}
