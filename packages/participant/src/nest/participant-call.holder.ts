import type { CallHandler } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import type { Barrier } from '../barrier';
import type { ParticipantCallOptions, ParticipantContext, ParticipantRoute } from '../participant-call.answer';
import type { AccordParticipantModuleOptions } from './participant-module.options';
/** Where the interceptors leave the call for CallInput and CallContext: on
 * the HTTP request, or on a message's data. */
export const PARTICIPANT_CALL = Symbol('accord.participantCall');

export interface ParticipantCallHolder {
  [PARTICIPANT_CALL]?: { input: unknown; context: ParticipantContext<object> };
}

/** What both interceptors (HTTP and messages) hand to the call's answer: the
 * module's barrier and signature settings, and the Nest handler to run
 * inside the barrier with the validated call held for CallInput/CallContext. */
export function nestParticipantCall(
  barrier: Barrier<object>,
  options: AccordParticipantModuleOptions,
  holder: ParticipantCallHolder,
  next: CallHandler,
): { options: ParticipantCallOptions<object>; route: ParticipantRoute<object> } {
  const callOptions: ParticipantCallOptions<object> = {
    barrier,
    signingSecret: options.signingSecret,
    signatureToleranceSeconds: options.toleranceSeconds,
  };
  const route = (input: unknown, context: ParticipantContext<object>): Promise<unknown> => {
    holder[PARTICIPANT_CALL] = { input, context };
    return lastValueFrom(next.handle(), { defaultValue: undefined });
  };
  return { options: callOptions, route };
}
