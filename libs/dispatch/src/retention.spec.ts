import type { RetentionStore } from '@accord/persistence';
import { purgeExpired } from './retention';

/** A store with `backlog` rows to delete, each batch taking `batchMs`. */
const storeOf = (backlog: number, batchMs: number) => {
  const batches: number[] = [];
  const store = {
    purge: async (_days: number, size: number) => {
      batches.push(performance.now());
      await new Promise((resolve) => setTimeout(resolve, batchMs));
      const n = Math.min(size, backlog);
      backlog -= n;
      return n;
    },
  } as unknown as RetentionStore;
  return { store, batches };
};

describe(purgeExpired.name, () => {
  it('deletes batch after batch until one is short, pausing after each full one for pauseRatio times its duration', async () => {
    const { store, batches } = storeOf(25, 20);
    expect(await purgeExpired(store, 30, { batchSize: 10, pauseRatio: 2 })).toBe(25);
    expect(batches).toHaveLength(3);
    // each batch takes 20 ms and is followed by ~40 ms of pause
    for (let i = 1; i < batches.length; i++) expect(batches[i] - batches[i - 1]).toBeGreaterThanOrEqual(55);
  });

  it('ends after the batch in progress once its signal is aborted, pause or not', async () => {
    const { store, batches } = storeOf(1_000, 10);
    const abort = new AbortController();
    const run = purgeExpired(store, 30, { batchSize: 10, pauseRatio: 100, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    const started = performance.now();
    expect(await run).toBe(10);
    expect(batches).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
