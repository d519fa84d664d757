import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay, classify, parseRetryAfter, type RetryPolicy } from '@accord/core';
import { parseJsonOrText } from '@accord/transport';
import { request, type Dispatcher } from 'undici';
import { AccordApiError } from './accord-api-error';

export interface HttpTransportOptions {
  /** The coordinator, e.g. `http://accord:3000` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`. Default: none (auth off). */
  token?: string;
  /** Per request, on top of the time the server may hold it (`waitMs`). Default 30 000. */
  timeoutMs?: number;
  /** Extra attempts for requests that are safe to repeat. Default 3. */
  retries?: number;
  /** An undici dispatcher (agent, proxy, mock). Default: undici's global one. */
  dispatcher?: Dispatcher;
}

export interface HttpCall {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** The server makes a repeat harmless (a read, a keyed start): resend on
   * a connection error, a timeout, 408, 429 or 5xx. */
  idempotent: boolean;
  /** How long the server may hold the answer back (`waitMs`). */
  holdMs?: number;
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
}

/** The coordinator's own response table decides what is worth repeating. */
const retryable = (status: number): boolean => classify({ kind: 'response', status }).type === 'retry';
const BACKOFF: RetryPolicy = { maxAttempts: Infinity, initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: true };
/** A longer Retry-After is cut to this: the caller is waiting. */
const RETRY_AFTER_MAX_MS = 30_000;

/** JSON over undici, with retries (exponential backoff, jitter, Retry-After)
 * for idempotent calls only; every non-2xx answer becomes an AccordApiError. */
export class HttpTransport {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(private readonly options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
  }

  async send<T>(call: HttpCall): Promise<HttpAnswer<T>> {
    for (let attempt = 0; ; attempt++) {
      const mayRetry = call.idempotent && attempt < this.retries;
      let answer: HttpAnswer<unknown> & { retryAfter?: string };
      try {
        answer = await this.once(call);
      } catch (error) {
        if (!mayRetry) throw error;
        await sleep(backoffDelay(BACKOFF, attempt + 1, Math.random()));
        continue;
      }
      if (answer.status < 400) return answer as HttpAnswer<T>;
      if (!mayRetry || !retryable(answer.status)) throw AccordApiError.from(answer.status, answer.body);
      const retryAfterMs = parseRetryAfter(answer.retryAfter, Date.now());
      await sleep(
        retryAfterMs === undefined ? backoffDelay(BACKOFF, attempt + 1, Math.random()) : Math.min(retryAfterMs, RETRY_AFTER_MAX_MS),
      );
    }
  }

  private async once(call: HttpCall): Promise<HttpAnswer<unknown> & { retryAfter?: string }> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    const res = await request(this.url(call), {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal: AbortSignal.timeout(this.timeoutMs + (call.holdMs ?? 0)),
      dispatcher: this.options.dispatcher,
    });
    const text = await res.body.text();
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, body: parseJsonOrText(text), retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
  }

  private url(call: HttpCall): string {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) query.set(name, String(value));
    }
    const search = query.size > 0 ? `?${query.toString()}` : '';
    return `${this.baseUrl}${call.path}${search}`;
  }
}
