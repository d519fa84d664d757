/** Data of a step job: ids only; the processor reloads state from Postgres. */
export interface StepJob {
  /** transaction id */
  t: string;
  /** step name */
  s: string;
  /** phase */
  p: string;
  /** attempt */
  a: number;
}

/**
 * The one place job ids are built. Deterministic, so enqueueing the same call
 * twice (fast path and sweeper, or two replicas) is a no-op while the job
 * exists. BullMQ forbids ':' in custom ids; step names cannot contain one.
 */
export function stepJobId(job: StepJob): string {
  return `${job.t}.${job.s}.${job.p}.${job.a}`;
}

/** Keys of all queues carry one hash tag, so Redis Cluster keeps them on one slot. */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}

export const STEP_QUEUE = 'steps';
