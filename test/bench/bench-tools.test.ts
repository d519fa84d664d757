/**
 * The bench's own instruments: the statement-counting relay in front of a
 * real Postgres, the attribution of CPU profile samples to packages, and the
 * soak's verdict on the heap.
 */
import { Client } from 'pg';
import { packageOf } from './cpu-profile-summary';
import { heapTrend, type HeapWindow } from './heap-trend';
import { startStatementCounter } from './statement-counter';

describe('the statement counter', () => {
  it('counts simple queries and executions of prepared statements, and relays their answers', async () => {
    const counter = await startStatementCounter(process.env.ACCORD_TEST_PG_URL as string);
    const client = new Client({ connectionString: counter.url });
    try {
      await client.connect();
      const before = counter.statements();
      await client.query('SELECT 1');
      for (let i = 0; i < 3; i++) {
        const { rows } = await client.query<{ n: number }>({ name: 'bench_tools_add', text: 'SELECT $1::int + 1 AS n', values: [i] });
        expect(rows[0].n).toBe(i + 1);
      }
      await client.query("SELECT repeat('x', 100000)"); // an answer larger than one chunk
      expect(counter.statements() - before).toBe(5);
    } finally {
      await client.end();
      await counter.close();
    }
  });
});

describe('CPU profile attribution', () => {
  it.each([
    [{ functionName: 'x', url: 'file:///app/node_modules/@nestjs/core/router/router.js' }, '@nestjs/core'],
    [{ functionName: 'x', url: 'file:///app/node_modules/a/node_modules/pg/lib/client.js' }, 'pg'],
    [{ functionName: 'x', url: 'file:///app/dist/libs/engine/src/run.js' }, 'accord libs/engine'],
    [{ functionName: 'x', url: 'file:///app/packages/contracts/dist/index.js' }, '@accord/contracts'],
    [{ functionName: 'x', url: 'node:internal/streams/readable' }, 'node internals'],
    [{ functionName: '(garbage collector)', url: '' }, '(garbage collector)'],
    [{ functionName: 'parse', url: '' }, '(native)'],
  ])('%j is %s', (frame, expected) => {
    expect(packageOf(frame)).toBe(expected);
  });
});

describe('the soak\'s heap trend', () => {
  const windows = (floor: (done: number) => number, every = 20_000, total = 1_000_000): HeapWindow[] =>
    Array.from({ length: total / every }, (_, i) => ({ done: (i + 1) * every, floorMb: floor((i + 1) * every) }));

  it('reads the slope of the floor in MB per 100k transactions, and the first and last floor', () => {
    const trend = heapTrend(windows((done) => 50 + done / 10_000), 1_000_000);
    expect(trend.slopeMbPer100k).toBeCloseTo(10);
    expect(trend.firstFloorMb).toBeCloseTo(52);
    expect(trend.lastFloorMb).toBeCloseTo(150);
    expect(trend.slopeErrorMbPer100k).toBeCloseTo(0);
    expect(trend.flat).toBe(false);
  });

  it('gives the slope\'s standard error, which grows with the scatter of the floors', () => {
    const scattered = heapTrend(windows((done) => 55 + ((done / 20_000) % 2 === 0 ? 3 : -3)), 1_000_000);
    expect(scattered.slopeErrorMbPer100k).toBeGreaterThan(0.2);
    expect(scattered.slopeErrorMbPer100k).toBeLessThan(1);
  });

  it('calls a floor that wanders by a few MB around its level flat', () => {
    expect(heapTrend(windows((done) => 55 + 2 * Math.sin(done / 7_000)), 1_000_000).flat).toBe(true);
  });

  it('leaves the warm-up out: a floor that rises in the first half and then holds is flat', () => {
    expect(heapTrend(windows((done) => Math.min(done, 500_000) / 10_000), 1_000_000).flat).toBe(true);
  });

  it('calls a leak of 100 bytes a transaction growth: 100 MB over a million on a 60 MB floor', () => {
    expect(heapTrend(windows((done) => 60 + (done * 100) / 1e6), 1_000_000).flat).toBe(false);
  });

  it('refuses a verdict on fewer than two windows in the second half', () => {
    expect(() => heapTrend([{ done: 100, floorMb: 50 }, { done: 900, floorMb: 50 }], 1000)).toThrow(/at least 2 windows with a floor/);
  });
});
