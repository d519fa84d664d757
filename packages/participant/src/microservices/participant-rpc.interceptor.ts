import { Inject, Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import type { RpcErrorReply } from '@accord/contracts';
import { from, map, type Observable } from 'rxjs';
import { Barrier } from '../barrier';
import { describeThrown } from '../describe-thrown';
import { answerMessageCall } from '../message-call.answer';
import type { ParticipantAnswer } from '../participant-call.answer';
import { nestParticipantCall, type ParticipantCallHolder } from '../nest/participant-call.holder';
import { ACCORD_PARTICIPANT_OPTIONS, type AccordParticipantModuleOptions } from '../nest/participant-module.options';

/**
 * Runs a @MessagePattern handler as a participant endpoint (see
 * ParticipantPattern): checks the signature in `data.headers`, validates the
 * call, runs the handler inside the barrier and replies with the barrier's
 * answer: the body for a 2xx, otherwise an RpcException
 * `{status, message, code?, details?, retryAfterSeconds?}` the coordinator
 * reads with the HTTP table (409 for a refusal or a hanging call, 503 for
 * anything else the handler threw, 401 for a bad signature).
 */
@Injectable()
export class ParticipantRpcInterceptor implements NestInterceptor {
  private readonly logger = new Logger(ParticipantRpcInterceptor.name);

  constructor(
    private readonly barrier: Barrier<object>,
    @Inject(ACCORD_PARTICIPANT_OPTIONS) private readonly options: AccordParticipantModuleOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const data = context.switchToRpc().getData<unknown>();
    return from(this.answer(data, next)).pipe(
      map((answer) => {
        if (answer.status >= 200 && answer.status < 300) return answer.body;
        if (answer.error !== undefined) this.logger.warn(`participant call failed, answered ${answer.status}: ${describeThrown(answer.error)}`);
        throw new RpcException(errorReply(answer));
      }),
    );
  }

  private answer(data: unknown, next: CallHandler): Promise<ParticipantAnswer> {
    const { options, route } = nestParticipantCall(this.barrier, this.options, data as ParticipantCallHolder, next);
    return answerMessageCall(options, route, data);
  }
}

/** The error reply of a non-2xx answer; its body's `error` gives the message and code. */
function errorReply(answer: ParticipantAnswer): RpcErrorReply {
  const error = (answer.body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const retryAfter = Number(answer.headers['retry-after']);
  return {
    status: answer.status,
    message: typeof error?.message === 'string' ? error.message : `answered ${answer.status}`,
    ...(typeof error?.code === 'string' ? { code: error.code } : {}),
    ...(error?.details !== undefined ? { details: error.details } : {}),
    ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
  };
}
