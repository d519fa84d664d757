import { Queue } from 'bullmq';
import type IORedis from 'ioredis';
import { queuePrefix, STEP_QUEUE, stepJobId, type StepJob } from './job-id';

export interface DueCall {
  transactionId: string;
  step: string;
  phase: string;
  attempt: number;
  dueAt: number;
}

/** Producer side of the step queue. Jobs are removed when done: Postgres,
 * not Redis, remembers what happened. */
export class StepQueue {
  private readonly queue: Queue<StepJob>;

  constructor(connection: IORedis, prefix: string) {
    this.queue = new Queue<StepJob>(STEP_QUEUE, { connection, prefix: queuePrefix(prefix) });
  }

  async enqueue(calls: readonly DueCall[], now = Date.now()): Promise<void> {
    if (calls.length === 0) return;
    await this.queue.addBulk(
      calls.map((c) => {
        const data: StepJob = { t: c.transactionId, s: c.step, p: c.phase, a: c.attempt };
        return {
          name: c.phase,
          data,
          opts: { jobId: stepJobId(data), delay: Math.max(0, c.dueAt - now), removeOnComplete: true, removeOnFail: true },
        };
      }),
    );
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
