import type { CallResult } from '@accord/core';
import type { Endpoint, ParticipantCall } from '@accord/contracts';

export interface Invocation {
  endpoint: Endpoint;
  call: ParticipantCall;
  traceparent: string;
  timeoutMs: number;
}

export interface InvocationResult {
  result: CallResult;
  latencyMs: number;
}

/** Calls one participant endpoint; never throws for a participant's failure. */
export abstract class ParticipantInvoker {
  abstract invoke(invocation: Invocation): Promise<InvocationResult>;
  abstract close(): Promise<void>;
}
