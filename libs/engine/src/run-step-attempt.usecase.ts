import { hostname } from 'node:os';
import { callTimeoutMs, classify, describeOutcome, maskUrl, type CallResult, type Phase } from '@accord/core';
import type { StepJob } from '@accord/dispatch';
import { toStorableJson, type AttemptRecord, type TransactionStore } from '@accord/persistence';
import type { ParticipantInvoker } from '@accord/transport';
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
    const plan = await this.plans.resolve(record);
    const endpoint = plan.steps.find((s) => s.name === job.s)?.endpoints[phase];
    const input = record.steps.find((s) => s.name === job.s)?.input ?? null;
    const startedAt = Date.now();
    let result: CallResult;
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
    // A participant's answer is stored as output or error text, and must not
    // be able to make every write of this transaction fail.
    if (result.kind === 'response') result = { ...result, body: toStorableJson(result.body) };
    const outcome = classify(result);
    this.hooks.attemptFinished(phase, outcome.type, latencyMs / 1000);
    const error = outcome.type === 'ok' ? null : `${describeOutcome(outcome)}; ${errorText(result)}`;
    const attempt: AttemptRecord = {
      transactionId: job.t,
      step: job.s,
      phase,
      attempt: job.a,
      claim: claim.claim,
      startedAt,
      latencyMs: Math.round(latencyMs),
      outcome: outcome.type,
      statusCode: result.kind === 'response' ? result.status : null,
      error,
      request,
      applied: false,
      worker: WORKER_ID,
    };
    // Starts from the transaction as claimed: the commit applies only if its
    // version is unchanged and this claim is still the step's (rule 4).
    const applied = await this.runner.run(
      job.t,
      (record) => {
        const step = record.steps.find((s) => s.name === job.s);
        if (!step || step.claim !== claim.claim) return null;
        return { event: { type: 'result', step: job.s, phase, attempt: job.a, outcome, error: error ?? undefined }, attempt };
      },
      record,
    );
    if (applied.kind === 'skipped') await this.store.logAttempt(attempt);
  }
}

function errorText(result: CallResult): string {
  switch (result.kind) {
    case 'timeout':
      return 'timed out';
    case 'network':
      return `connection failed: ${result.message}`;
    case 'forbidden':
      return result.reason;
    case 'response': {
      const body = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
      return `HTTP ${result.status}${body && body !== 'null' ? `: ${body.slice(0, 300)}` : ''}`;
    }
  }
}
