import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { from, map, type Observable } from 'rxjs';
import { Barrier } from '../barrier';
import { describeThrown } from '../describe-thrown';
import { answerParticipantCall, type ParticipantAnswer } from '../participant-call.answer';
import { nestParticipantCall, type ParticipantCallHolder } from './participant-call.holder';
import { ACCORD_PARTICIPANT_OPTIONS, type AccordParticipantModuleOptions } from './participant-module.options';

/** What a Fastify or Express request and reply have in common here. */
interface ParticipantRequest extends ParticipantCallHolder {
  headers: IncomingHttpHeaders;
  rawBody?: Buffer;
}
interface ParticipantReply {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
}

/**
 * Runs a controller method as a participant endpoint (see
 * ParticipantEndpoint): checks the signature on the raw body, validates the
 * ParticipantCall, calls the method inside the barrier's local transaction,
 * and answers with the barrier's status and body: first answer for a
 * duplicate, 200 for a null compensation, 409 for a hanging call or a
 * BusinessRefusal, 503 for anything else thrown.
 */
@Injectable()
export class ParticipantInterceptor implements NestInterceptor {
  private readonly logger = new Logger(ParticipantInterceptor.name);

  constructor(
    private readonly barrier: Barrier<object>,
    @Inject(ACCORD_PARTICIPANT_OPTIONS) private readonly options: AccordParticipantModuleOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<ParticipantRequest>();
    const reply = http.getResponse<ParticipantReply>();
    return from(this.answer(request, next)).pipe(
      map((answer) => {
        if (answer.error !== undefined) this.logger.warn(`participant call failed, answered ${answer.status}: ${describeThrown(answer.error)}`);
        reply.status(answer.status);
        for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
        return answer.body;
      }),
    );
  }

  private async answer(request: ParticipantRequest, next: CallHandler): Promise<ParticipantAnswer> {
    if (!request.rawBody) {
      throw new Error('participant endpoints need the raw body: create the app with NestFactory.create(…, { rawBody: true })');
    }
    const { options, route } = nestParticipantCall(this.barrier, this.options, request, next);
    return answerParticipantCall(options, route, request.rawBody.toString('utf8'), request.headers);
  }
}
