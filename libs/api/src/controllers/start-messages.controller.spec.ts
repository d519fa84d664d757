import type { Logger } from 'pino';
import type { StartTransaction } from '@accord/engine';
import { HttpExceptionFilter } from '../errors/http-exception.filter';
import { StartMessagesController } from './start-messages.controller';

describe(StartMessagesController.name, () => {
  const started: unknown[] = [];
  const start = {
    execute: (command: unknown) => {
      started.push(command);
      return Promise.resolve({ record: { id: 't-1', status: 'RUNNING' } });
    },
  };
  const logger = { error: () => undefined, warn: () => undefined } as unknown as Logger;
  const controller = new StartMessagesController(start as unknown as StartTransaction, new HttpExceptionFilter(logger));

  beforeEach(() => (started.length = 0));

  it.each([
    ['a NUL character, which Postgres cannot store', { definition: 'checkout', idempotencyKey: 'k', input: { note: 'a\u0000b' } }, 'input.note'],
    ['a __proto__ key, which the schema would drop', JSON.parse('{"spec": {"type": "saga", "__proto__": {}, "steps": []}, "idempotencyKey": "k"}'), 'spec'],
  ])('replies VALIDATION_FAILED to a start holding %s, as the HTTP API answers, and starts nothing', async (_what, message, path) => {
    const reply = await controller.startFromMessage(message);
    expect(reply).toEqual({ error: { code: 'VALIDATION_FAILED', message: 'invalid start request', details: [{ path, message: expect.any(String) }] } });
    expect(started).toEqual([]);
  });

  it('starts a valid one', async () => {
    expect(await controller.startFromMessage({ definition: 'checkout', idempotencyKey: 'k', input: { n: 1 } })).toEqual({ id: 't-1', status: 'RUNNING' });
    expect(started).toHaveLength(1);
  });
});
