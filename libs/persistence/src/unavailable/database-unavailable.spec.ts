import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableError, isDatabaseUnavailable } from './database-unavailable';

const serverError = (code: string) => Object.assign(new DatabaseError('server says no', 0, 'error'), { code });
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: 'connect' });

describe(isDatabaseUnavailable.name, () => {
  it.each([
    ['a failure to get a connection from the pool', new DatabaseUnavailableError(new Error('timeout exceeded when trying to connect'))],
    ['a server shutting down (57P01)', serverError('57P01')],
    ['a server starting up or in recovery (57P03)', serverError('57P03')],
    ['a connection exception (class 08)', serverError('08006')],
    ['too many connections (53300)', serverError('53300')],
    ['a refused socket', systemError('ECONNREFUSED')],
    ['a reset socket under a query', systemError('ECONNRESET')],
    ['a server error wrapped by TypeORM', new QueryFailedError('SELECT 1', [], serverError('57P01'))],
    ['a pool failure wrapped by TypeORM', new QueryFailedError('SELECT 1', [], new DatabaseUnavailableError(systemError('ECONNREFUSED')))],
  ])('is true for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    // The driver's own texts for these cases are no contract: without the class they mean nothing.
    ['an error that only says "Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly')],
    ['an error that only says "timeout exceeded when trying to connect"', new Error('timeout exceeded when trying to connect')],
    ['a code without errno and syscall', Object.assign(new Error('x'), { code: 'ECONNREFUSED' })],
    ['a unique violation (23505)', new QueryFailedError('INSERT', [], serverError('23505'))],
    ['a syntax error (42601)', serverError('42601')],
    ['a programming error', new TypeError('cannot read properties of undefined')],
    ['a local resource failure', systemError('EMFILE')],
    ['something that is not an Error', 'ECONNREFUSED'],
  ])('is false for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
