import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, type ErrorCode } from '@accord/contracts';
import { EngineError } from '@accord/engine';
import { statusOf } from './api-error';

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  503: 'SERVICE_UNAVAILABLE',
};

/** Every error leaves as `{"error": {"code", "message", "details"}}`; only
 * a bug or an unreachable dependency is a 5xx. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body } = this.toResponse(exception);
    void reply.status(status).send(body);
  }

  toResponse(exception: unknown): { status: number; body: ReturnType<typeof errorBody> } {
    if (exception instanceof EngineError) {
      return { status: statusOf(exception.code), body: errorBody(exception.code, exception.message, exception.details) };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'VALIDATION_FAILED');
      const response = exception.getResponse();
      const details = status === 503 && typeof response === 'object' ? [{ message: JSON.stringify(response) }] : [];
      return { status, body: errorBody(code, exception.message, details) };
    }
    if (isUnavailable(exception)) {
      this.logger.warn({ err: exception }, 'dependency unavailable');
      return { status: 503, body: errorBody('SERVICE_UNAVAILABLE', 'a dependency is unavailable; retry later') };
    }
    this.logger.error({ err: exception }, 'unhandled error');
    return { status: 500, body: errorBody('INTERNAL', 'internal error') };
  }
}

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as { message?: string }).message ?? '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '53300'].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(message)
  );
}
