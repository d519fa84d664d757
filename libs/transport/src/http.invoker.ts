import { Agent, errors } from 'undici';
import { HEADERS, parseJsonOrText, parseRetryAfter, participantCallHeaders, readCappedBody, signBody, type HttpEndpoint } from '@accord/contracts';
import { ParticipantInvoker, type Invocation, type InvocationResult } from './participant.invoker';
import { childTraceparent } from './traceparent';

/** Parsed endpoint URLs (a few per definition); cleared when it grows past this. */
const MAX_PARSED_URLS = 1000;

/** Larger answers are cut: an output is meant to be a small JSON document. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpInvokerOptions {
  signingSecret?: string;
  connectionsPerOrigin?: number;
}

/** HTTP participants through undici's keep-alive pools. */
export class HttpInvoker extends ParticipantInvoker {
  private readonly agent: Agent;
  private readonly targets = new Map<string, { origin: string; path: string }>();

  constructor(private readonly options: HttpInvokerOptions = {}) {
    super();
    this.agent = new Agent({ connections: options.connectionsPerOrigin ?? 128, keepAliveTimeout: 10_000, pipelining: 1 });
  }

  async invoke({ endpoint, call, traceparent, timeoutMs }: Invocation): Promise<InvocationResult> {
    const http = endpoint as HttpEndpoint;
    const method = http.method ?? 'POST';
    const body = method === 'GET' ? undefined : JSON.stringify(call);
    const started = performance.now();
    const headers = participantCallHeaders(call, childTraceparent(traceparent), http.headers);
    if (this.options.signingSecret) headers[HEADERS.signature] = signBody(this.options.signingSecret, body ?? '', Date.now());
    try {
      // What undici's top-level request(url) does, minus parsing the URL on every call.
      const { origin, path } = this.target(http.url);
      const response = await this.agent.request({
        origin,
        path,
        method,
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await readCappedBody(response.body, MAX_RESPONSE_BYTES);
      const retryAfter = response.headers['retry-after'];
      return {
        latencyMs: performance.now() - started,
        result: {
          kind: 'response',
          status: response.statusCode,
          body: parseJsonOrText(text),
          retryAfterMs: parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, Date.now()),
        },
      };
    } catch (error) {
      const latencyMs = performance.now() - started;
      if (isTimeout(error)) return { latencyMs, result: { kind: 'timeout' } };
      const code = errorCode(error);
      if (LOCAL_FAILURES.has(code)) return { latencyMs, result: { kind: 'local', code } };
      return { latencyMs, result: { kind: 'network', code, unsent: UNSENT.has(code) } };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private target(url: string): { origin: string; path: string } {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
      if (this.targets.size >= MAX_PARSED_URLS) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
  }
}

/** Failures before a connection existed: the participant got nothing. */
const UNSENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Failures of this process's own resources. */
const LOCAL_FAILURES = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'ENOBUFS', 'EADDRNOTAVAIL']);

/** The error's code (or its cause's), never its message: messages can name
 * local paths and are not a contract. */
function errorCode(error: unknown): string {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return 'UNKNOWN';
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof errors.HeadersTimeoutError ||
    error instanceof errors.BodyTimeoutError ||
    (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  );
}
