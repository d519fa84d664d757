import { EventEmitter } from 'node:events';
import { Agent, errors } from 'undici';
import {
  HEADERS, parseJsonOrText, parseRetryAfter, participantCallHeaders, readCappedBody, signBody, type Endpoint, type HttpEndpoint,
} from '@accord/contracts';
import { checkTargetUrl, type TargetPolicy } from '@accord/core';
import { ParticipantInvoker, type Invocation, type InvocationResult } from './participant.invoker';
import { ForbiddenTargetError, safeConnector, type Resolver } from './safe-connector';

/** Parsed endpoint URLs (a few per definition); cleared when it grows past this. */
const MAX_PARSED_URLS = 1000;

/** Larger answers are cut: an output is meant to be a small JSON document. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface HttpInvokerOptions {
  /** The safe-target policy, applied to the URL before every call and to
   * every address its host resolves to when a connection is made. */
  policy: TargetPolicy;
  signingSecret?: string;
  connectionsPerOrigin?: number;
  /** DNS for host names; the system resolver by default. */
  resolve?: Resolver;
}

interface Target {
  origin: string;
  path: string;
  /** `Authorization: Basic` from the URL's `user:pass@`, which undici does not send by itself. */
  authorization: string | null;
  /** Why the policy refuses the URL as written; null when it does not. */
  forbidden: string | null;
}

/** HTTP participants through undici's keep-alive pools. */
export class HttpInvoker extends ParticipantInvoker {
  private readonly agent: Agent;
  private readonly targets = new Map<string, Target>();

  constructor(private readonly options: HttpInvokerOptions) {
    super();
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 32,
      keepAliveTimeout: 10_000,
      pipelining: 1,
      connect: safeConnector(options.policy, { resolve: options.resolve }),
    });
  }

  unreachable(endpoint: Endpoint): string | null {
    return 'url' in endpoint ? null : 'not an HTTP endpoint';
  }

  async invoke({ endpoint, call, trace, timeoutMs }: Invocation): Promise<InvocationResult> {
    const http = endpoint as HttpEndpoint;
    const method = http.method ?? 'POST';
    const body = method === 'GET' ? undefined : JSON.stringify(call);
    const started = performance.now();
    const { origin, path, authorization, forbidden } = this.target(http.url);
    if (forbidden !== null) return { latencyMs: 0, result: { kind: 'forbidden', reason: forbidden } };
    const extra = authorization !== null && !hasHeader(http.headers, 'authorization') ? { ...http.headers, authorization } : http.headers;
    const headers = participantCallHeaders(call, trace, extra);
    if (this.options.signingSecret) headers[HEADERS.signature] = signBody(this.options.signingSecret, body ?? '', Date.now());
    // The whole call, connection wait included, within timeoutMs. An
    // EventEmitter, which undici takes as a signal: an AbortController per
    // call (an EventTarget, its listeners bound to async contexts) cost more
    // than the rest of the call's bookkeeping. Not AbortSignal.timeout
    // either: its timer fires (and builds an exception) after every call.
    const deadline = new EventEmitter();
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      deadline.emit('abort');
    }, timeoutMs);
    try {
      const response = await this.agent.request({
        origin,
        path,
        method,
        headers,
        body,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: deadline,
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
      const refused = forbiddenCause(error);
      if (refused) return { latencyMs, result: { kind: 'forbidden', reason: refused.reason } };
      // Whatever shape the error takes where the deadline cut the call (a
      // body read aborted midway fails with a stream error of its own).
      if (expired || isTimeout(error)) return { latencyMs, result: { kind: 'timeout' } };
      const code = errorCode(error);
      if (LOCAL_FAILURES.has(code)) return { latencyMs, result: { kind: 'local', code } };
      return { latencyMs, result: { kind: 'network', code, unsent: UNSENT.has(code) } };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** What undici's top-level request(url) does, minus parsing the URL on every call. */
  private target(url: string): Target {
    let target = this.targets.get(url);
    if (!target) {
      const verdict = checkTargetUrl(url, this.options.policy);
      if (verdict.ok) {
        const parsed = new URL(url);
        const credentials = parsed.username || parsed.password ? `${decodeUserinfo(parsed.username)}:${decodeUserinfo(parsed.password)}` : null;
        target = {
          origin: parsed.origin,
          path: `${parsed.pathname}${parsed.search}`,
          authorization: credentials === null ? null : `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`,
          forbidden: null,
        };
      } else {
        target = { origin: '', path: '', authorization: null, forbidden: verdict.reason };
      }
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

/** The URL keeps userinfo percent-encoded; Basic credentials are the decoded text. */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function hasHeader(headers: Record<string, string> | undefined, name: string): boolean {
  return Object.keys(headers ?? {}).some((key) => key.toLowerCase() === name);
}

/** The policy's refusal, however undici passes the connector's error on. */
function forbiddenCause(error: unknown): ForbiddenTargetError | null {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof ForbiddenTargetError) return e;
  return null;
}

function isTimeout(error: unknown): boolean {
  return error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError;
}
