import pino, { type DestinationStream, type Logger } from 'pino';

/** A failed statement carries its parameters (TypeORM's QueryFailedError):
 * definition bodies with endpoint headers, inputs. They stay out of logs. */
const REDACTED = ['err.parameters', 'err.driverError.parameters', 'err.cause.parameters'];

/** JSON lines to stdout (or `destination`). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'accord' }, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: REDACTED, censor: '***' } };
  return destination ? pino(options, destination) : pino(options);
}
