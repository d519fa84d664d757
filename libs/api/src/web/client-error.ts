import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, type ErrorBody } from '@accord/contracts';

/** What Node's HTTP parser refused before fastify saw a request, in the
 * contract's error shape: a request (headers, or the whole body) that did
 * not arrive within its timeout, headers too large, or bytes that are not
 * HTTP. The connection is closed after it. */
export function clientErrorAnswer(error: { code?: string }): { status: number; body: ErrorBody } {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, body: errorBody('REQUEST_TIMEOUT', 'the request did not arrive in time (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)') };
  }
  if (error.code === 'HPE_HEADER_OVERFLOW') return { status: 431, body: errorBody('HEADERS_TOO_LARGE', 'the request headers are too large') };
  return { status: 400, body: errorBody('VALIDATION_FAILED', 'malformed HTTP request') };
}

/** fastify's `clientErrorHandler`. */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, body } = clientErrorAnswer(error);
    const text = JSON.stringify(body);
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
    );
  }
  socket.destroy();
}
