/** What the coordinator sends to a @nestjs/microservices participant (the
 * contract's "Participants over message brokers"). */
import { canonicalJson } from './canonical-json';
import type { MessageEndpoint } from './definition.schema';
import { HEADERS, participantCallHeaders, type ParticipantCall } from './participant.protocol';
import { signBody } from './signature';

/** `ClientProxy.send(pattern, data)`'s `data`: the HTTP call's body plus its
 * headers, lower-case, as one object. */
export type MessageCallData = ParticipantCall & { headers: Record<string, string> };

/** The text a message call's `x-accord-signature` signs: the canonical JSON
 * of `data` without `headers` (keys sorted), since a broker carries no raw
 * body both sides could share. */
export function messageSignedText(data: object): string {
  const { headers: _headers, ...call } = data as { headers?: unknown };
  return canonicalJson(call);
}

/** The data of one message call, signed at `nowMs` when `signingSecret` is given. */
export function messageCallData(call: ParticipantCall, traceparent: string, signingSecret: string | undefined, nowMs: number): MessageCallData {
  const { 'content-type': _type, ...headers } = participantCallHeaders(call, traceparent);
  const data: ParticipantCall = { transactionId: call.transactionId, step: call.step, phase: call.phase, attempt: call.attempt, input: call.input };
  if (signingSecret !== undefined) headers[HEADERS.signature] = signBody(signingSecret, messageSignedText(data), nowMs);
  return { ...data, headers };
}

/** The error a participant replies with (`throw new RpcException({status, message})`):
 * `status` is read with the HTTP table; without a numeric one the answer
 * is "unknown, try again". */
export interface RpcErrorReply {
  status: number;
  message: string;
  /** Participant-defined reason, e.g. `OUT_OF_STOCK`. */
  code?: string;
  details?: unknown;
  /** Like HTTP's `Retry-After`: the coordinator waits at least this long before the retry. */
  retryAfterSeconds?: number;
}

/** The pattern the coordinator answers with START_TRANSPORT set: the body of
 * `POST /v1/transactions` in, `{"id", "status"}` or `{"error": {...}}` out. */
export const START_PATTERN = 'accord.transactions.start';

/** How a message endpoint is named in the attempt log and errors:
 * `nats:inventory.reserve`, `rmq:inventory/reserve`, `tcp://inventory:4010/reserve`. */
export function describeMessageEndpoint(endpoint: MessageEndpoint): string {
  switch (endpoint.transport) {
    case 'nats':
    case 'redis':
      return `${endpoint.transport}:${endpoint.pattern}`;
    case 'rmq':
      return `rmq:${endpoint.queue}/${endpoint.pattern}`;
    case 'tcp':
      return `tcp://${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host}:${endpoint.port}/${endpoint.pattern}`;
  }
}
