import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, type ErrorCode } from '@accord/contracts';
import { EngineError } from '@accord/engine';
import { statusOf } from './api-error';
import { unavailableResponse, type ErrorResponse } from './unavailable';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'UNAVAILABLE',
};

/** Every error leaves as `{"error": {"code", "message", "details"}}`; only
 * a bug or an unreachable dependency is a 5xx. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, retryAfterSeconds } = this.toResponse(exception);
    if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
    void reply.status(status).send(body);
  }

  toResponse(exception: unknown): ErrorResponse {
    if (exception instanceof EngineError) {
      return {
        status: statusOf(exception.code),
        body: errorBody(exception.code, exception.message, exception.details),
        retryAfterSeconds: exception.retryAfterSeconds,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
      return { status, body: errorBody(code, exception.message) };
    }
    const unavailable = unavailableResponse(exception);
    if (unavailable) {
      this.logger.warn({ err: exception }, 'database unavailable');
      return unavailable;
    }
    this.logger.error({ err: exception }, 'unhandled error');
    return { status: 500, body: errorBody('INTERNAL', 'internal error') };
  }
}
