import type { ParticipantContext } from '../participant-call.answer';

/** Where the interceptors leave the call for CallInput and CallContext: on
 * the HTTP request, or on a message's data. */
export const PARTICIPANT_CALL = Symbol('accord.participantCall');

export interface ParticipantCallHolder {
  [PARTICIPANT_CALL]?: { input: unknown; context: ParticipantContext<object> };
}
