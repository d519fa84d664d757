import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

type Directives = Record<string, string[]>;

/** The console's policy: everything from this origin, nothing inline, no
 * plug-ins, no framing; the API it calls is the same origin. */
export const CONSOLE_CSP: Directives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'manifest-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

/** bull-board's page: its scripts are files of its own, but it styles
 * elements inline (and asks for web fonts elsewhere, which stay refused: it
 * falls back to the system's). */
export const QUEUE_VIEW_CSP: Directives = {
  ...CONSOLE_CSP,
  'style-src': ["'self'", "'unsafe-inline'"],
  // Its page sets <base href> to where it is mounted.
  'base-uri': ["'self'"],
};

/** Helmet's headers with `directives` as the content security policy, on
 * the routes of `scope` only (the API answers JSON and `/docs` needs its own
 * inline scripts). */
export async function securityHeaders(scope: FastifyInstance, directives: Directives): Promise<void> {
  await scope.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Strict-Transport-Security is for whatever terminates TLS in front:
    // it covers the whole host, not two paths of it.
    hsts: false,
  });
}
