import { isDatabaseUnavailable } from '@accord/persistence';
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** A failed statement carries its parameters (TypeORM's QueryFailedError):
 * definition bodies with endpoint headers, inputs. They stay out of logs. */
const REDACTED = ['err.parameters', 'err.driverError.parameters', 'err.cause.parameters'];

/** An outage of the database is an expected condition, not a bug: its stack
 * tells an operator nothing the message does not, and names local paths. */
function serializeError(error: Error): ReturnType<typeof pino.stdSerializers.err> {
  const serialized = pino.stdSerializers.err(error);
  if (isDatabaseUnavailable(error)) delete (serialized as { stack?: string }).stack;
  return serialized;
}

/** JSON lines to stdout (or `destination`). `spanFields` (tracing on): the
 * active span's ids, which replace those a line names from the transaction. */
export function createLogger(level: string, destination?: DestinationStream, spanFields?: () => Record<string, string>): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'accord' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED, censor: '***' },
    serializers: { err: serializeError },
  };
  if (spanFields) {
    options.mixin = spanFields;
    options.mixinMergeStrategy = (line, fields) => Object.assign(line, fields);
  }
  return destination ? pino(options, destination) : pino(options);
}
