import { DatabaseError } from 'pg';

/**
 * Postgres could not be reached, or went away under a query. Raised where the
 * driver hands out a connection (and where a connection ends under a query),
 * so callers decide by its class, never by an error message: the driver's own
 * errors for these cases are plain `Error`s without a code.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'ACCORD_DATABASE_UNAVAILABLE';

  constructor(cause: unknown) {
    super('the database is unreachable', { cause });
  }
}

/** SQLSTATEs with which the server says it cannot serve this connection now:
 * class 08 (connection exception) and these. */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '53300', // too_many_connections
]);

/** errno codes of a socket to a database that is not there (any more). */
const UNREACHABLE_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/** Whether `error` (or what it wraps: `cause`, TypeORM's `driverError`) says
 * the database cannot be reached now, by class, SQLSTATE or errno code. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = wrapped(e), depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    if (e instanceof DatabaseError) return e.code !== undefined && (e.code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(e.code));
    if (isSystemError(e) && UNREACHABLE_ERRNO.has(e.code)) return true;
  }
  return false;
}

function wrapped(error: Error): unknown {
  return (error as { driverError?: unknown }).driverError ?? error.cause;
}

/** Node's errors from the operating system carry `errno` and `syscall` next to `code`. */
function isSystemError(error: Error): error is NodeJS.ErrnoException & { code: string } {
  const e = error as NodeJS.ErrnoException;
  return typeof e.code === 'string' && typeof e.errno === 'number' && typeof e.syscall === 'string';
}
