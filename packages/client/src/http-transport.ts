import { parseJsonOrText, parseRetryAfter } from '@accord/contracts';
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
  /** The fetch to send with: one with a proxy agent, instrumentation, a test
   * double. Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface HttpCall {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** The server makes a repeat harmless (a read, a keyed start): resend it
   * when the API says to come back later or no answer arrived. */
  idempotent: boolean;
  /** How long the server may hold the answer back (`waitMs`). */
  holdMs?: number;
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
}

/** The API's own "try again": 503 UNAVAILABLE (its database is unreachable)
 * and 429 RATE_LIMITED / OVERLOADED, both with Retry-After. Any other error
 * answer is final, a 5xx from a proxy included. */
const RETRY_LATER = new Set([429, 503]);
/** Backoff when no Retry-After came: from 100 ms, doubling, at most 5 s. */
const BACKOFF_INITIAL_MS = 100;
const BACKOFF_MAX_MS = 5_000;
/** A longer Retry-After is cut to this: the caller is waiting. */
const RETRY_AFTER_MAX_MS = 30_000;

type Attempt = { answer: HttpAnswer<unknown>; retryAfter: string | null } | { failure: unknown };

/** JSON over fetch, with retries for idempotent calls only; every non-2xx
 * answer becomes an AccordApiError. */
export class HttpTransport {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: HttpTransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async send<T>(call: HttpCall): Promise<HttpAnswer<T>> {
    for (let retry = 0; ; retry++) {
      const attempt = await this.once(call);
      const mayRetry = call.idempotent && retry < this.retries;
      if ('failure' in attempt) {
        // No answer at all (refused, reset, DNS): the request may or may not
        // have arrived, which an idempotent call makes harmless. A timeout
        // is the caller's budget running out, not worth repeating.
        if (!mayRetry || isTimeout(attempt.failure)) throw attempt.failure;
        await sleep(backoffMs(retry));
        continue;
      }
      const { answer } = attempt;
      if (answer.status < 400) return answer as HttpAnswer<T>;
      if (!mayRetry || !RETRY_LATER.has(answer.status)) throw AccordApiError.from(answer.status, answer.body);
      const retryAfterMs = parseRetryAfter(attempt.retryAfter ?? undefined, Date.now());
      await sleep(retryAfterMs === undefined ? backoffMs(retry) : Math.min(retryAfterMs, RETRY_AFTER_MAX_MS));
    }
  }

  private async once(call: HttpCall): Promise<Attempt> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await this.fetch(this.url(call), {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(this.timeoutMs + (call.holdMs ?? 0)),
      });
      const text = await res.text();
      return { answer: { status: res.status, body: parseJsonOrText(text) }, retryAfter: res.headers.get('retry-after') };
    } catch (failure) {
      return { failure };
    }
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

/** fetch rejects with a DOMException for its signal, not always an Error. */
function isTimeout(error: unknown): boolean {
  const name = typeof error === 'object' && error !== null && 'name' in error ? error.name : undefined;
  return name === 'TimeoutError' || name === 'AbortError';
}

/** Drawn from [d/2, d], so clients that failed together come back apart. */
function backoffMs(retry: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** retry);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
