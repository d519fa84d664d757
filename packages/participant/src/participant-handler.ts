import { errorBody } from '@accord/contracts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerParticipantCall, type ParticipantCallOptions, type ParticipantRoute } from './participant-call.answer';
import type { PgSession } from './pg.barrier-database';

export interface ParticipantHandlerOptions<Session extends object = PgSession> extends ParticipantCallOptions<Session> {
  /** Request path (without query string) → business change. */
  handlers: Record<string, ParticipantRoute<Session>>;
  /** Bodies above this are answered 413. Default 1 MiB. */
  maxBodyBytes?: number;
}

/** Answers a POST to one of `handlers` and resolves true; resolves false
 * without touching the request otherwise, so other routing can follow. Must
 * see the raw body stream (mount it before any body parser). */
export type ParticipantHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Bodies above this are answered 413 unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * A node:http handler for participant endpoints: checks the signature,
 * validates the call, runs its route inside the barrier and answers.
 *
 * ```ts
 * const handler = createParticipantHandler({ barrier, signingSecret, handlers: { '/reserve': reserve } });
 * // node:http
 * createServer((req, res) => void handler(req, res).then((handled) => handled || notFound(res)));
 * // Express (@accord/participant/express): before express.json(), which would consume the body stream
 * app.use(expressParticipantMiddleware(handler));
 * // Fastify (@accord/participant/fastify): the plugin keeps the raw body itself
 * await fastify.register(participantFastifyPlugin({ barrier, signingSecret, handlers }));
 * ```
 */
export function createParticipantHandler<Session extends object>(options: ParticipantHandlerOptions<Session>): ParticipantHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res) => {
    const route = req.method === 'POST' ? options.handlers[pathOf(req)] : undefined;
    if (!route) return false;

    const raw = await readRequestBody(req, maxBodyBytes);
    const answer =
      raw === undefined
        ? { status: 413, body: errorBody('PAYLOAD_TOO_LARGE', `body exceeds ${maxBodyBytes} bytes`), headers: {} }
        : await answerParticipantCall(options, route, raw, req.headers);
    sendJson(res, answer.status, answer.body, answer.headers);
    return true;
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || status === 304) {
    // No body allowed: a content-length would announce bytes that never come.
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const payload = JSON.stringify(body) ?? 'null';
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** The body as text, or undefined once it passes `limit` bytes. */
export async function readRequestBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    // Keep draining so the connection stays usable for the 413 answer.
    if (size <= limit) chunks.push(buffer);
  }
  return size > limit ? undefined : Buffer.concat(chunks).toString('utf8');
}
