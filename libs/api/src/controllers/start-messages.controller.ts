import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { START_PATTERN, StartBodySchema, StartMessageSchema, type ErrorBody } from '@accord/contracts';
import { EngineError, StartTransaction } from '@accord/engine';
import { Public } from '../auth/scopes';
import { HttpExceptionFilter } from '../errors/http-exception.filter';
import { parse } from '../parse-request';
import { refusedBodyPart } from '../request-body.rules';

/**
 * START_TRANSPORT: `accord.transactions.start` over NATS or RabbitMQ, with
 * the body of `POST /v1/transactions` and the same use-case, so the same
 * validation and idempotency; the key is required, since a broker may
 * deliver a message twice. The message's `headers` play the HTTP start's
 * trace headers. Every outcome is a reply (`{"id", "status"}` or
 * the API's error body), never an RPC error. A message carries no
 * credential: the broker's permissions decide who may publish it.
 */
@Public()
@Controller()
export class StartMessagesController {
  constructor(
    private readonly start: StartTransaction,
    private readonly errors: HttpExceptionFilter,
  ) {}

  @MessagePattern(START_PATTERN)
  async startFromMessage(@Payload() raw: unknown): Promise<{ id: string; status: string } | ErrorBody> {
    try {
      // The HTTP body parser's rules: a message has no parser of ours in front.
      const refused = refusedBodyPart(raw);
      if (refused) throw new EngineError('VALIDATION_FAILED', 'invalid start request', [refused]);
      const { headers, ...fields } = parse(StartMessageSchema, raw, 'start request');
      const body = parse(StartBodySchema, fields, 'start request');
      if (body.idempotencyKey === undefined) {
        throw new EngineError('VALIDATION_FAILED', 'invalid start request', [
          { path: 'idempotencyKey', message: 'required for a start by message: a broker may deliver it twice' },
        ]);
      }
      const { definition, version, spec, input, idempotencyKey } = body;
      const trace = { traceparent: headers?.traceparent, tracestate: headers?.tracestate };
      const { record } = await this.start.execute({ definition, version, spec, input, idempotencyKey, trace });
      return { id: record.id, status: record.status };
    } catch (error) {
      return this.errors.toResponse(error).body;
    }
  }
}
