import { Worker } from 'bullmq';
import type IORedis from 'ioredis';
import type { CallRef, TraceContext } from '@accord/contracts';
import type { CarriedClaim } from '@accord/persistence';
import { decodeCarriedClaim, decodeJobTrace, decodeStepJob, queuePrefix, STEP_QUEUE, type StepJob } from './job-id';

export type StepJobHandler = (call: CallRef, trace: TraceContext | null, claim: CarriedClaim | null) => Promise<void>;

export interface StepWorkerOptions {
  prefix: string;
  concurrency: number;
  /** How quickly a job of a dead worker is handed to another. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  onError?: (error: Error) => void;
  /** A job whose data this version cannot read: dropped (the sweeper
   * re-creates the call's job from Postgres if the call is owed). */
  onUnreadable?: (data: unknown) => void;
}

/** Consumer side of the step queue. Created only when the app is ready;
 * `close()` waits for the jobs in hand to finish. */
export class StepWorker {
  private readonly worker: Worker<StepJob>;

  constructor(connection: IORedis, handler: StepJobHandler, options: StepWorkerOptions) {
    this.worker = new Worker<StepJob>(STEP_QUEUE, async (job) => {
      const call = decodeStepJob(job.data);
      // BullMQ counts every move to active, the first one included.
      if (call) await handler(call, decodeJobTrace(job.data), decodeCarriedClaim(job.data, job.attemptsStarted <= 1));
      else options.onUnreadable?.(job.data);
    }, {
      connection,
      prefix: queuePrefix(options.prefix),
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs ?? 10_000,
      stalledInterval: options.stalledIntervalMs ?? 5_000,
      maxStalledCount: 1,
      autorun: true,
    });
    this.worker.on('error', (error) => options.onError?.(error));
  }

  async close(): Promise<void> {
    await this.worker.close();
  }
}
