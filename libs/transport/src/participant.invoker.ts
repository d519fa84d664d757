import type { CallResult } from '@accord/core';
import type { Endpoint, ParticipantCall } from '@accord/contracts';

export interface Invocation {
  endpoint: Endpoint;
  call: ParticipantCall;
  traceparent: string;
  timeoutMs: number;
}

/** The coordinator itself could not make the call (out of file
 * descriptors, memory or local ports): nothing was sent, and it is not the
 * participant's failure. */
export interface LocalFailure {
  kind: 'local';
  code: string;
}

export interface InvocationResult {
  result: CallResult | LocalFailure;
  latencyMs: number;
}

/** Calls one participant endpoint; never throws for a participant's failure. */
export abstract class ParticipantInvoker {
  /** Why this invoker cannot send to `endpoint` at all (a transport without
   * its broker); null when it can. */
  abstract unreachable(endpoint: Endpoint): string | null;
  abstract invoke(invocation: Invocation): Promise<InvocationResult>;
  abstract close(): Promise<void>;
}
