import { PHASES, type CallRef, type Phase, type TraceContext } from '@accord/contracts';
import type { CarriedClaim } from '@accord/persistence';

/** A step job's data in Redis: the call's four facts under short keys, ids
 * only; the processor reloads everything else from Postgres. Built by
 * `encodeStepJob` and read back only through `decodeStepJob`. */
export interface StepJob {
  /** transaction id */
  t: string;
  /** step name */
  s: string;
  /** phase */
  p: Phase;
  /** attempt */
  a: number;
  /** traceparent of the span that enqueued the call (tracing on only) */
  c?: string;
  /** its tracestate, when it has one */
  cs?: string;
  /** the claim taken for this job (CarriedClaim) */
  k?: number;
  /** until when its first delivery may use it as it is (ms) */
  u?: number;
}

export function encodeStepJob(call: CallRef, trace: TraceContext | null = null, claim: CarriedClaim | null = null): StepJob {
  const job: StepJob = { t: call.transactionId, s: call.step, p: call.phase, a: call.attempt };
  if (trace) {
    job.c = trace.traceparent;
    if (trace.tracestate) job.cs = trace.tracestate;
  }
  if (claim) {
    job.k = claim.claim;
    if (claim.useBy !== undefined) job.u = claim.useBy;
  }
  return job;
}

/** The call a job names, or null for data this version did not write (a
 * foreign or corrupted job must not reach the claim). */
export function decodeStepJob(data: unknown): CallRef | null {
  if (typeof data !== 'object' || data === null) return null;
  const { t, s, p, a } = data as Record<string, unknown>;
  if (typeof t !== 'string' || typeof s !== 'string' || !isPhase(p) || !Number.isSafeInteger(a) || (a as number) < 1) return null;
  return { transactionId: t, step: s, phase: p, attempt: a as number };
}

/** The trace context a job carries, if any (its call is decoded apart). */
export function decodeJobTrace(data: StepJob): TraceContext | null {
  if (typeof data.c !== 'string') return null;
  return { traceparent: data.c, tracestate: typeof data.cs === 'string' ? data.cs : null };
}

/** The claim a job carries, if any. Only its first delivery may use it as
 * it is: a job delivered again (its worker stalled or died) may have had its
 * call sent under it. */
export function decodeCarriedClaim(data: StepJob, firstDelivery: boolean): CarriedClaim | null {
  if (!Number.isSafeInteger(data.k)) return null;
  const useBy = firstDelivery && Number.isFinite(data.u) ? data.u : undefined;
  return useBy === undefined ? { claim: data.k! } : { claim: data.k!, useBy };
}

export function isPhase(value: unknown): value is Phase {
  return (PHASES as readonly unknown[]).includes(value);
}

/**
 * The one place job ids are built. Deterministic, so enqueueing the same call
 * twice (fast path and sweeper, or two replicas) is a no-op while the job
 * exists. BullMQ forbids ':' in custom ids; step names cannot contain one.
 */
export function stepJobId(call: CallRef): string {
  return `${call.transactionId}.${call.step}.${call.phase}.${call.attempt}`;
}

/** Keys of all queues carry one hash tag, so Redis Cluster keeps them on one slot. */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}

export const STEP_QUEUE = 'steps';
