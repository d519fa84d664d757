import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readRequestBody, sendJson, type ParticipantHandler } from '@accord/participant';

/** A JSON route of a shop service's own API (not a participant endpoint). */
export type ShopRoute = (body: unknown) => Promise<{ status: number; body: unknown }>;

/** A running shop service: its HTTP server, and how to stop all it holds. */
export interface ShopService {
  server: Server;
  close(): Promise<void>;
}

/** A shop service's HTTP server: its participant endpoints first, if it
 * takes its calls over HTTP (the handler reads the raw body itself, for the
 * signature), then its own JSON routes by `METHOD /path`, and `GET /health`.
 * Resolves once listening. */
export async function startShopServer(options: {
  host: string;
  port: number;
  participant?: ParticipantHandler;
  routes?: Record<string, ShopRoute>;
  /** Paths that were retired: answered 410 with the message. */
  gone?: Record<string, string>;
}): Promise<Server> {
  const routes: Record<string, ShopRoute> = {
    'GET /health': () => Promise.resolve({ status: 200, body: { ok: true } }),
    ...options.routes,
  };
  const server = createServer((req, res) => void answer(req, res).catch((error: unknown) => fail(res, error)));
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.participant && (await options.participant(req, res))) return;
    const path = (req.url ?? '/').split('?')[0];
    const retired = options.gone?.[path];
    if (retired) return sendJson(res, 410, { error: { code: 'GONE', message: retired } });
    const route = routes[`${req.method} ${path}`];
    if (!route) return sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${path}` } });
    const raw = (await readRequestBody(req, 64 * 1024)) ?? '';
    let body: unknown;
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      return sendJson(res, 400, { error: { code: 'VALIDATION_FAILED', message: 'body is not JSON' } });
    }
    const result = await route(body);
    sendJson(res, result.status, result.body);
  }
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  return server;
}

/** The service of `server`: closing stops the server first, then `release` (its pool, its broker connection). */
export function shopService(server: Server, release: () => Promise<void>): ShopService {
  return {
    server,
    async close() {
      await new Promise<void>((done) => server.close(() => done()));
      await release();
    },
  };
}

function fail(res: ServerResponse, error: unknown): void {
  console.error(error);
  if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
}
