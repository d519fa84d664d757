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
});
