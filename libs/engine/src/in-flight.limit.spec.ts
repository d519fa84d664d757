import { InFlightLimit } from './in-flight.limit';

describe(InFlightLimit.name, () => {
  it('admits starts up to the limit on top of the count, then refuses until a recount finds room', async () => {
    let now = 0;
    let unsettled = 2;
    let counts = 0;
    const limit = new InFlightLimit(() => Promise.resolve((counts++, unsettled)), { max: 4, recountMs: 100, now: () => now });
    expect(await limit.admit()).toBe(true);
    expect(await limit.admit()).toBe(true);
    expect(await limit.admit()).toBe(false);
    expect(counts).toBe(1);
    unsettled = 2; // two of the four finished; the two admitted are in the count now
    now = 99;
    expect(await limit.admit()).toBe(false);
    now = 100;
    expect(await limit.admit()).toBe(true);
    expect(await limit.admit()).toBe(true);
    expect(await limit.admit()).toBe(false);
    expect(counts).toBe(2);
  });

  it('counts once for starts that arrive together', async () => {
    let counts = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const limit = new InFlightLimit(async () => (counts++, await gate, 0), { max: 3, recountMs: 100, now: () => 0 });
    const answers = Promise.all([limit.admit(), limit.admit(), limit.admit(), limit.admit()]);
    release();
    expect((await answers).sort()).toEqual([false, true, true, true]);
    expect(counts).toBe(1);
  });

  it('fails a start when the count cannot be read, and counts again on the next one', async () => {
    let fail = true;
    const limit = new InFlightLimit(() => (fail ? Promise.reject(new Error('database down')) : Promise.resolve(0)), { max: 1, recountMs: 100, now: () => 0 });
    await expect(limit.admit()).rejects.toThrow('database down');
    fail = false;
    expect(await limit.admit()).toBe(true);
  });
});
