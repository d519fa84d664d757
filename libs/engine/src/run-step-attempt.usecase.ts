import { hostname } from 'node:os';
import { describeMessageEndpoint, STEP_STATUS, type CallRef, type Endpoint, type TraceContext } from '@accord/contracts';
import { callTimeoutMs, classify, describeOutcome, maskUrl, type CallResult, type Outcome } from '@accord/core';
import {
  toStorableJson, type AttemptRecord, type CarriedClaim, type Claim, type TransactionRecord, type TransactionStore,
} from '@accord/persistence';
import type { LocalFailure, ParticipantInvoker } from '@accord/transport';
import type { EngineHooks } from './engine.hooks';
import type { PlanResolver } from './plan.resolver';
import type { CallSpan, Tracing } from './tracing';
import type { TransitionRunner } from './transition.runner';

const WORKER_ID = `${hostname()}#${process.pid}`;

/**
 * One job = one participant call: claim it in Postgres (lease + fencing
 * token; the job usually carries the claim, taken when the call was
 * scheduled), make the call, then feed the classified result to the
 * machine. A result whose claim was superseded is logged and otherwise
 * ignored.
 */
export class RunStepAttempt {
  constructor(
    private readonly store: TransactionStore,
    private readonly runner: TransitionRunner,
    private readonly plans: PlanResolver,
    private readonly invoker: ParticipantInvoker,
    private readonly hooks: EngineHooks,
    private readonly tracing: Tracing,
  ) {}

  /** `trace`: the trace context the job carries (the span that enqueued
   * it), if any; `carried`: the claim it carries, if any. */
  async execute(call: CallRef, trace: TraceContext | null = null, carried: CarriedClaim | null = null): Promise<void> {
    const claim = await this.store.claim(call, carried);
    if (!claim) return;
    const { record } = claim;
    const step = record.steps.find((s) => s.name === call.step);
    if (step?.status === STEP_STATUS.AWAITING) return this.release(call, claim);
    const plan = await this.plans.resolve(record);
    const endpoint = plan.steps.find((s) => s.name === call.step)?.endpoints[call.phase];
    const unreachable = endpoint ? this.invoker.unreachable(endpoint) : `no endpoint for the ${call.phase} of step "${call.step}"`;
    if (!endpoint || unreachable !== null) {
      // A definition this coordinator cannot run (a transport whose broker is
      // not configured here): never sent, never retried.
      await this.report(call, claim, { type: 'misconfigured', status: null }, {
        startedAt: Date.now(),
        latencyMs: 0,
        statusCode: null,
        error: `not sent: ${unreachable}`,
        request: null,
      });
      return;
    }
    const request = requestSummary(endpoint);
    const parent = trace ?? (record.traceparent ? { traceparent: record.traceparent, tracestate: record.tracestate } : null);
    const facts = {
      call, type: record.type, definitionName: record.definitionName, definitionVersion: record.definitionVersion,
      transport: 'url' in endpoint ? 'http' : endpoint.transport, ...request,
    };
    const input = step?.input ?? null;
    await this.tracing.call(parent, facts, (span) => this.callAndReport(call, claim, endpoint, input, request, span));
  }

  private async callAndReport(
    call: CallRef,
    claim: Claim,
    endpoint: Endpoint,
    input: unknown,
    request: AttemptRecord['request'],
    span: CallSpan,
  ): Promise<void> {
    const startedAt = Date.now();
    const invoked = await this.invoker.invoke({
      endpoint,
      call: { ...call, input },
      trace: span.context,
      timeoutMs: callTimeoutMs(endpoint),
    });
    let result = invoked.result;
    if (result.kind === 'local') {
      span.answered('local', null);
      return this.retryLocally(call, claim, result);
    }
    // A participant's answer is stored as output or error text, and must not
    // be able to make every write of this transaction fail.
    if (result.kind === 'response') result = { ...result, body: toStorableJson(result.body) };
    const outcome = classify(result);
    const statusCode = result.kind === 'response' ? result.status : null;
    span.answered(outcome.type, statusCode);
    this.hooks.attemptFinished(call, outcome.type, invoked.latencyMs / 1000);
    await this.report(call, claim, outcome, {
      startedAt,
      latencyMs: Math.round(invoked.latencyMs),
      statusCode,
      error: outcome.type === 'ok' ? null : `${describeOutcome(outcome)}; ${errorText(result, 'url' in endpoint ? 'HTTP' : 'status')}`,
      request,
    });
  }

  /** This process failed to make the call: the participant's budget is not
   * charged. The lease is handed back, so the sweeper re-enqueues the same
   * attempt within a sweep. */
  private async retryLocally(call: CallRef, claim: Claim, failure: LocalFailure): Promise<void> {
    this.hooks.localFailure(claim.record, call, failure.code);
    await this.store.releaseLease(call, claim.claim);
  }

  /** The call of a step its saga is rolling back without: it is not sent
   * any more (rule 6). If no worker took it before, it is withdrawn unsent;
   * otherwise its holder's lease ran out without an answer, which counts as
   * a timeout: it may have applied. */
  private async release(call: CallRef, claim: Claim): Promise<void> {
    if (!claim.resumed) {
      await this.runner.run(
        call.transactionId,
        (record) => (holds(record, call, claim) ? { event: { type: 'withdrawn', step: call.step, phase: call.phase, attempt: call.attempt } } : null),
        claim.record,
      );
      return;
    }
    await this.report(call, claim, { type: 'retry' }, {
      startedAt: Date.now(),
      latencyMs: 0,
      statusCode: null,
      error: LAPSED,
      request: null,
    });
  }

  /** Feeds the call's outcome to the machine, logged with the transition;
   * starts from the transaction as claimed: the commit applies only if its
   * version is unchanged and this claim is still the step's (rule 4). */
  private async report(
    call: CallRef,
    claim: Claim,
    outcome: Outcome,
    made: Pick<AttemptRecord, 'startedAt' | 'latencyMs' | 'statusCode' | 'error' | 'request'>,
  ): Promise<void> {
    const attempt: AttemptRecord = {
      ...call,
      claim: claim.claim,
      ...made,
      outcome: outcome.type,
      applied: false,
      budgetExhausted: false,
      worker: WORKER_ID,
    };
    const event = { type: 'result' as const, step: call.step, phase: call.phase, attempt: call.attempt, outcome, error: made.error ?? undefined };
    const applied = await this.runner.run(call.transactionId, (record) => (holds(record, call, claim) ? { event, attempt } : null), claim.record);
    if (applied.kind === 'skipped') await this.store.logAttempt(attempt);
  }
}

const LAPSED = 'no answer before its lease ran out; not sent again: the saga is rolling back';

/** This worker's claim is still the step's current one. */
function holds(record: TransactionRecord, call: CallRef, claim: Claim): boolean {
  return record.steps.find((s) => s.name === call.step)?.claim === claim.claim;
}

/** Per endpoint of a cached plan: masking parses the URL, and a plan's
 * endpoints are called over and over. */
const SUMMARIES = new WeakMap<Endpoint, { method: string; url: string }>();

/** The call as the attempt log shows it: credentials in a URL are write-only. */
function requestSummary(endpoint: Endpoint): { method: string; url: string } {
  let summary = SUMMARIES.get(endpoint);
  if (!summary) {
    summary = 'url' in endpoint ? { method: endpoint.method ?? 'POST', url: maskUrl(endpoint.url) } : { method: 'SEND', url: describeMessageEndpoint(endpoint) };
    SUMMARIES.set(endpoint, summary);
  }
  return summary;
}

/** `statusLabel`: "HTTP" for an HTTP answer, "status" for a message reply's. */
function errorText(result: CallResult, statusLabel: string): string {
  switch (result.kind) {
    case 'timeout':
      return 'timed out';
    case 'network':
      return `connection failed: ${result.code}`;
    case 'forbidden':
      return result.reason;
    case 'error-reply':
      return `error reply without a status: ${JSON.stringify(result.body)?.slice(0, 300)}`;
    case 'response': {
      const body = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
      return `${statusLabel} ${result.status}${body && body !== 'null' ? `: ${body.slice(0, 300)}` : ''}`;
    }
  }
}
