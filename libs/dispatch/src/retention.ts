import { setTimeout as sleep } from 'node:timers/promises';
import type { RetentionStore } from '@accord/persistence';

export interface PurgeOptions {
  batchSize?: number;
  /** After each full batch, wait this many times as long as it took: a
   * backlog (retention turned on over millions of rows, or a day's worth
   * after an outage) then takes at most 1 / (1 + pauseRatio) of one Postgres
   * connection, and drains beside the hot path instead of in front of it. */
  pauseRatio?: number;
  /** Aborted: the run ends after the batch in progress (shutdown). */
  signal?: AbortSignal;
}

/** Deletes every finished transaction older than `days`, a batch at a time
 * so no statement holds many locks; returns how many it deleted. */
export async function purgeExpired(store: RetentionStore, days: number, options: PurgeOptions = {}): Promise<number> {
  const { batchSize = 500, pauseRatio = 0, signal } = options;
  let total = 0;
  while (!signal?.aborted) {
    const started = performance.now();
    const deleted = await store.purge(days, batchSize);
    total += deleted;
    if (deleted < batchSize) break;
    if (pauseRatio > 0) await sleep((performance.now() - started) * pauseRatio, undefined, { signal }).catch(() => undefined);
  }
  return total;
}
