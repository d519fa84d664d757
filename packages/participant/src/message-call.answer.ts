import { errorBody, messageSignedText } from '@accord/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { answerParticipantCall, type ParticipantAnswer, type ParticipantCallOptions, type ParticipantRoute } from './participant-call.answer';

/**
 * The message-broker twin of answerParticipantCall: `data` is what
 * `ClientProxy.send(pattern, data)` carried — the call plus its `headers`.
 * The signature covers the canonical JSON of `data` without `headers`, so
 * that text stands in for the raw body; then the same checks, validation
 * and barrier run. Never throws; every outcome is an answer with an HTTP
 * status, which the adapter turns into a reply or an error reply.
 */
export async function answerMessageCall<Session extends object>(
  options: ParticipantCallOptions<Session>,
  route: ParticipantRoute<Session>,
  data: unknown,
): Promise<ParticipantAnswer> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { status: 400, body: errorBody('VALIDATION_FAILED', 'not a participant call: data is not an object'), headers: {} };
  }
  const headers = headersOf((data as { headers?: unknown }).headers);
  if (headers === null) {
    return { status: 400, body: errorBody('VALIDATION_FAILED', 'not a participant call: headers is not an object of strings'), headers: {} };
  }
  return answerParticipantCall(options, route, messageSignedText(data), headers);
}

function headersOf(value: unknown): IncomingHttpHeaders | null {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const headers: IncomingHttpHeaders = {};
  for (const [name, text] of Object.entries(value)) {
    if (typeof text !== 'string') return null;
    headers[name.toLowerCase()] = text;
  }
  return headers;
}
