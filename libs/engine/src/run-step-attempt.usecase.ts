import { hostname } from 'node:os';
import { STEP_STATUS, type Phase } from '@accord/contracts';
import { callTimeoutMs, classify, describeOutcome, maskUrl, type CallResult, type Outcome } from '@accord/core';
import type { StepJob } from '@accord/dispatch';
import { toStorableJson, type AttemptRecord, type Claim, type TransactionRecord, type TransactionStore } from '@accord/persistence';
import type { LocalFailure, ParticipantInvoker } from '@accord/transport';
import type { EngineHooks } from './engine.hooks';
import type { PlanResolver } from './plan.resolver';
import type { TransitionRunner } from './transition.runner';

const WORKER_ID = `${hostname()}#${process.pid}`;

/**
 * One job = one participant call: claim it in Postgres (lease + fencing
 * token), make the call, then feed the classified result to the machine. A
 * result whose claim was superseded is logged and otherwise ignored.
 */
export class RunStepAttempt {
  constructor(
    private readonly store: TransactionStore,
    private readonly runner: TransitionRunner,
    private readonly plans: PlanResolver,
    private readonly invoker: ParticipantInvoker,
    private readonly hooks: EngineHooks,
  ) {}

  async execute(job: StepJob): Promise<void> {
    const phase = job.p as Phase;
    const claim = await this.store.claim(job.t, job.s, phase, job.a);
    if (!claim) return;
    const { record } = claim;
    const step = record.steps.find((s) => s.name === job.s);
    if (step?.status === STEP_STATUS.AWAITING) return this.release(job, phase, claim);
    const plan = await this.plans.resolve(record);
    const endpoint = plan.steps.find((s) => s.name === job.s)?.endpoints[phase];
    const input = step?.input ?? null;
    const startedAt = Date.now();
    let result: CallResult | LocalFailure;
    let latencyMs = 0;
    let request: unknown = null;
    if (!endpoint || !('url' in endpoint)) {
      result = { kind: 'response', status: 400, body: `no HTTP endpoint for phase ${phase}` };
    } else {
      // The attempt log is a view: credentials in the URL are write-only.
      request = { method: endpoint.method ?? 'POST', url: maskUrl(endpoint.url) };
      ({ result, latencyMs } = await this.invoker.invoke({
        endpoint,
        call: { transactionId: job.t, step: job.s, phase, attempt: job.a, input },
        traceparent: record.traceparent ?? '',
        timeoutMs: callTimeoutMs(endpoint),
      }));
    }
    if (result.kind === 'local') return this.retryLocally(job, phase, claim, result);
    // A participant's answer is stored as output or error text, and must not
    // be able to make every write of this transaction fail.
    if (result.kind === 'response') result = { ...result, body: toStorableJson(result.body) };
    const outcome = classify(result);
    this.hooks.attemptFinished(phase, outcome.type, latencyMs / 1000);
    const error = outcome.type === 'ok' ? null : `${describeOutcome(outcome)}; ${errorText(result)}`;
    await this.report(job, phase, claim, outcome, {
      startedAt,
      latencyMs: Math.round(latencyMs),
      statusCode: result.kind === 'response' ? result.status : null,
      error,
      request,
    });
  }

  /** This process failed to make the call: the participant's budget is not
   * charged. The lease is handed back, so the sweeper re-enqueues the same
   * attempt within a sweep. */
  private async retryLocally(job: StepJob, phase: Phase, claim: Claim, failure: LocalFailure): Promise<void> {
    this.hooks.localFailure(phase, failure.code);
    await this.store.releaseLease(job.t, job.s, phase, job.a, claim.claim);
  }

  /** The call of a step its saga is rolling back without: it is not sent
   * any more (rule 6). If no worker took it before, it is withdrawn unsent;
   * otherwise its holder's lease ran out without an answer, which counts as
   * a timeout: it may have applied. */
  private async release(job: StepJob, phase: Phase, claim: Claim): Promise<void> {
    if (!claim.resumed) {
      await this.runner.run(
        job.t,
        (record) => (holds(record, job, claim) ? { event: { type: 'withdrawn', step: job.s, phase, attempt: job.a } } : null),
        claim.record,
      );
      return;
    }
    await this.report(job, phase, claim, { type: 'retry' }, {
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
    job: StepJob,
    phase: Phase,
    claim: Claim,
    outcome: Outcome,
    call: Pick<AttemptRecord, 'startedAt' | 'latencyMs' | 'statusCode' | 'error' | 'request'>,
  ): Promise<void> {
    const attempt: AttemptRecord = {
      transactionId: job.t,
      step: job.s,
      phase,
      attempt: job.a,
      claim: claim.claim,
      ...call,
      outcome: outcome.type,
      applied: false,
      budgetExhausted: false,
      worker: WORKER_ID,
    };
    const event = { type: 'result' as const, step: job.s, phase, attempt: job.a, outcome, error: call.error ?? undefined };
    const applied = await this.runner.run(job.t, (record) => (holds(record, job, claim) ? { event, attempt } : null), claim.record);
    if (applied.kind === 'skipped') await this.store.logAttempt(attempt);
  }
}

const LAPSED = 'no answer before its lease ran out; not sent again: the saga is rolling back';

/** This worker's claim is still the step's current one. */
function holds(record: TransactionRecord, job: StepJob, claim: Claim): boolean {
  return record.steps.find((s) => s.name === job.s)?.claim === claim.claim;
}

function errorText(result: CallResult): string {
  switch (result.kind) {
    case 'timeout':
      return 'timed out';
    case 'network':
      return `connection failed: ${result.code}`;
    case 'forbidden':
      return result.reason;
    case 'response': {
      const body = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
      return `HTTP ${result.status}${body && body !== 'null' ? `: ${body.slice(0, 300)}` : ''}`;
    }
  }
}
