import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import type { CallRef, TraceContext } from '@accord/contracts';
import type { CarriedClaim } from '@accord/persistence';
import { encodeStepJob, queuePrefix, STEP_QUEUE, stepJobId, type StepJob } from './job-id';

/** A call and when it is due; `trace`: what its job carries, when not the
 * queue's `activeTrace()`; `claim`: the claim taken for its job. */
export interface DueCall extends CallRef {
  dueAt: number;
  trace?: TraceContext | null;
  claim?: CarriedClaim | null;
}

type BulkJob = Parameters<Queue<StepJob>['addBulk']>[0][number];

/** Producer side of the step queue. Jobs are removed when done: Postgres,
 * not Redis, remembers what happened. */
export class StepQueue {
  private readonly queue: Queue<StepJob>;
  private gathering: { jobs: BulkJob[]; resolve: () => void; reject: (error: unknown) => void }[] = [];

  /** `activeTrace`: the trace context of the span enqueueing (tracing on),
   * which the jobs carry to the calls' spans. */
  constructor(
    connection: IORedis,
    prefix: string,
    onError: (error: Error) => void = () => undefined,
    private readonly activeTrace: () => TraceContext | null = () => null,
  ) {
    this.queue = new Queue<StepJob>(STEP_QUEUE, { connection, prefix: queuePrefix(prefix) });
    this.queue.on('error', onError);
  }

  /** The BullMQ queue itself, for the read-only queue view (`/admin/queues`). */
  get bullQueue(): Queue<StepJob> {
    return this.queue;
  }

  /** Jobs of the calls due (or delayed) as given. The enqueues of one turn
   * of the event loop (the transactions of one group commit answer
   * together) go to Redis as one `addBulk`: one write instead of one per
   * transaction. */
  enqueue(calls: readonly DueCall[], now = Date.now()): Promise<void> {
    if (calls.length === 0) return Promise.resolve();
    const active = this.activeTrace();
    const jobs = calls.map((c) => ({
      name: c.phase,
      data: encodeStepJob(c, c.trace ?? active, c.claim ?? null),
      opts: { jobId: stepJobId(c), delay: Math.max(0, c.dueAt - now), removeOnComplete: true, removeOnFail: true },
    }));
    return new Promise<void>((resolve, reject) => {
      if (this.gathering.length === 0) process.nextTick(() => void this.flush());
      this.gathering.push({ jobs, resolve, reject });
    });
  }

  private async flush(): Promise<void> {
    const gathered = this.gathering;
    this.gathering = [];
    const jobs = gathered.flatMap((g) => g.jobs);
    try {
      // One job (a lone sequential saga) needs no MULTI/EXEC around it.
      if (jobs.length === 1) await this.queue.add(jobs[0].name, jobs[0].data, jobs[0].opts);
      else await this.queue.addBulk(jobs);
      for (const g of gathered) g.resolve();
    } catch (error) {
      for (const g of gathered) g.reject(error);
    }
  }

  /** The calls that have no job (Redis lost it, or an enqueue after a
   * commit never happened). A call whose job exists is on its way, also when
   * its worker died holding it: BullMQ hands a stalled job to another. */
  async withoutJob<C extends CallRef>(calls: readonly C[]): Promise<C[]> {
    const jobs = await Promise.all(calls.map((c) => this.queue.getJob(stepJobId(c))));
    return calls.filter((_c, i) => !jobs[i]);
  }

  /** Makes delayed jobs of these calls run now: their calls became due
   * earlier than they were enqueued for (an awaited retry in backoff). A job
   * that left the delayed set meanwhile is already on its way. */
  async expedite(calls: readonly CallRef[]): Promise<void> {
    for (const c of calls) {
      const job = await this.queue.getJob(stepJobId(c));
      if (job && (await job.isDelayed())) await job.promote().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
