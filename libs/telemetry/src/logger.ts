import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** A failed statement carries its parameters (TypeORM's QueryFailedError):
 * definition bodies with endpoint headers, inputs. They stay out of logs. */
const REDACTED = ['err.parameters', 'err.driverError.parameters', 'err.cause.parameters'];

/** JSON lines to stdout (or `destination`). `spanFields` (tracing on): the
 * active span's ids, which replace those a line names from the transaction. */
export function createLogger(level: string, destination?: DestinationStream, spanFields?: () => Record<string, string>): Logger {
  const options: LoggerOptions = { level, base: { service: 'accord' }, timestamp: pino.stdTimeFunctions.isoTime, redact: { paths: REDACTED, censor: '***' } };
  if (spanFields) {
    options.mixin = spanFields;
    options.mixinMergeStrategy = (line, fields) => Object.assign(line, fields);
  }
  return destination ? pino(options, destination) : pino(options);
}
