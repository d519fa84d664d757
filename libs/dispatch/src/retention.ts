import type { RetentionStore } from '@accord/persistence';

/** Deletes every finished transaction older than `days`, a batch at a time
 * so no statement holds many locks; returns how many it deleted. */
export async function purgeExpired(store: RetentionStore, days: number, batchSize = 500): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await store.purge(days, batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}
