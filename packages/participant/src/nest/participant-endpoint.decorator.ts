import { createParamDecorator, UseInterceptors, type ExecutionContext } from '@nestjs/common';
import { PARTICIPANT_CALL, type ParticipantCallHolder } from './participant-call.holder';
import { ParticipantInterceptor } from './participant.interceptor';

/**
 * Makes a controller method (or, on the class, every method) a participant
 * endpoint. The method runs at most once per (transaction, step, phase),
 * inside a local transaction: do its writes through `@CallContext() ctx` →
 * `ctx.client`. Its return value is the step's output; throw BusinessRefusal
 * to refuse (409), anything else is a retryable 503 (a Nest HttpException
 * too). Needs AccordParticipantModule and `{ rawBody: true }`.
 *
 * ```ts
 * @Post('reserve')
 * @ParticipantEndpoint()
 * reserve(@CallInput() input: ReserveInput, @CallContext() ctx: ParticipantContext) { … }
 * ```
 */
export function ParticipantEndpoint(): MethodDecorator & ClassDecorator {
  return UseInterceptors(ParticipantInterceptor);
}

/** The call the interceptor left on the HTTP request, or on the message's data. */
function participantCall(context: ExecutionContext) {
  const holder =
    context.getType() === 'rpc' ? context.switchToRpc().getData<ParticipantCallHolder>() : context.switchToHttp().getRequest<ParticipantCallHolder>();
  const call = holder?.[PARTICIPANT_CALL];
  if (!call) throw new Error('@CallInput()/@CallContext() work only on a @ParticipantEndpoint() or @ParticipantPattern() method');
  return call;
}

/** The call's `input` (the step's rendered input), as sent by the coordinator
 * (over HTTP, or over a broker with `@accord/participant/microservices`). */
export const CallInput = createParamDecorator((_data: unknown, context: ExecutionContext) => participantCall(context).input);

/** The ParticipantContext: `client` of the local transaction, the `call`,
 * and `forwardResult` (what the action/try returned, for the later phases). */
export const CallContext = createParamDecorator((_data: unknown, context: ExecutionContext) => participantCall(context).context);
