import { DatabaseUnavailableError } from '@accord/persistence';
import { createLogger } from './logger';

describe(createLogger.name, () => {
  it('keeps the parameters of a failed statement out of the log', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    const failed = Object.assign(new Error('connection terminated'), {
      query: 'INSERT INTO definitions (name, body) VALUES ($1, $2)',
      parameters: ['checkout', '{"headers":{"authorization":"Bearer s3cret"}}'],
      driverError: Object.assign(new Error('terminated'), { parameters: ['s3cret'] }),
    });
    logger.error({ err: failed }, 'unhandled error');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry.err).toMatchObject({ message: 'connection terminated', query: expect.stringContaining('INSERT'), parameters: '***' });
    expect(lines[0]).not.toContain('s3cret');
  });

  it('logs a database outage without its stack, and any other error with it', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', errno: -111, syscall: 'connect' });
    logger.warn({ err: new DatabaseUnavailableError(refused) }, 'sweep failed');
    logger.error({ err: new Error('a bug') }, 'unhandled error');
    const [outage, bug] = lines.map((line) => JSON.parse(line));
    expect(outage.err).toMatchObject({ message: expect.stringContaining('the database is unreachable'), code: 'ACCORD_DATABASE_UNAVAILABLE' });
    expect(outage.err.stack).toBeUndefined();
    expect(bug.err.stack).toContain('a bug');
  });
});
