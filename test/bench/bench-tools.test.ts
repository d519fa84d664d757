/**
 * The bench's own instruments: the statement-counting relay in front of a
 * real Postgres, and the attribution of CPU profile samples to packages.
 */
import { Client } from 'pg';
import { packageOf } from './cpu-profile-summary';
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
