import { Batcher } from './batcher';

const tick = () => new Promise((r) => setImmediate(r));

describe(Batcher.name, () => {
  function harness(maxInFlight = 1, failBatch = false) {
    const batches: number[][] = [];
    const singles: number[] = [];
    let release: (() => void)[] = [];
    const batcher = new Batcher<number, string>(
      async (batch) => {
        batches.push(batch);
        await new Promise<void>((r) => release.push(r));
        if (failBatch) throw new Error('batch failed');
        return batch.map((n) => `b${n}`);
      },
      async (n) => {
        singles.push(n);
        await new Promise<void>((r) => release.push(r));
        if (n === 13) throw new Error('bad request');
        return `s${n}`;
      },
      { maxInFlight, maxSize: 3, key: (n) => String(n % 10) },
    );
    const releaseAll = async () => {
      while (release.length > 0) {
        const now = release;
        release = [];
        now.forEach((r) => r());
        await tick();
      }
    };
    return { batcher, batches, singles, releaseAll };
  }

  it('runs a request alone at once when nothing is in flight', async () => {
    const { batcher, batches, singles, releaseAll } = harness();
    const answer = batcher.submit(1);
    expect(singles).toEqual([1]);
    expect(batches).toEqual([]);
    await releaseAll();
    expect(await answer).toBe('s1');
  });

  it('groups what arrives while a batch is in flight, at most maxSize per batch, never two of one key', async () => {
    const { batcher, batches, releaseAll } = harness();
    const first = batcher.submit(100);
    await tick();
    const answers = [1, 2, 11, 3, 4].map((n) => batcher.submit(n));
    await tick();
    expect(batches).toEqual([]);
    await releaseAll();
    await first;
    await Promise.all(answers);
    expect(batches).toEqual([[1, 2, 3], [11, 4]]);
    expect(await Promise.all(answers)).toEqual(['b1', 'b2', 'b11', 'b3', 'b4']);
  });

  it('retries a failed batch one request at a time, so only the bad request fails', async () => {
    const { batcher, singles, releaseAll } = harness(1, true);
    const first = batcher.submit(100);
    await tick();
    const good = expect(batcher.submit(12)).resolves.toBe('s12');
    const bad = expect(batcher.submit(13)).rejects.toThrow('bad request');
    await releaseAll();
    await first;
    await good;
    await bad;
    expect(singles).toEqual([100, 12, 13]);
  });
});
