import { randomBytes, randomUUID } from 'node:crypto';
import {
  canonicalJson,
  HEADERS,
  parseJsonOrText,
  participantCallHeaders,
  readCappedBody,
  renderTemplate,
  signBody,
  unreservedHeaders,
  type ParticipantCall,
  type Phase,
} from '@accord/contracts';
import { Agent, request } from 'undici';
import type { ConformanceEndpoint } from './conformance.types';

/** How a call is signed: like the coordinator, not at all, or wrongly on purpose. */
export type Signing =
  | { kind: 'coordinator' }
  | { kind: 'none' }
  | { kind: 'wrong-secret' }
  | { kind: 'stale'; ageMs: number }
  /** A valid signature of a different body than the one sent. */
  | { kind: 'other-body' };

export interface Answer {
  /** null when no HTTP answer came (connection error, timeout). */
  status: number | null;
  body: unknown;
  /** The network error, when status is null. */
  error?: string;
}

export interface CallSpec {
  endpoint: ConformanceEndpoint;
  transactionId: string;
  step: string;
  phase: Phase;
  attempt?: number;
  /** The step's input template (undefined: the transaction input). */
  inputTemplate?: unknown;
  signing?: Signing;
}

const MAX_ANSWER_BYTES = 256 * 1024;

/** Sends ParticipantCalls the way the coordinator does: same body, headers
 * and signature, so a participant cannot tell the kit from the real thing. */
export class ConformanceClient {
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 1_000, pipelining: 1 });

  constructor(
    private readonly options: { secret?: string; input: unknown; timeoutMs: number; now: () => number },
  ) {}

  get signs(): boolean {
    return this.options.secret !== undefined;
  }

  static newTransactionId(): string {
    return randomUUID();
  }

  /** The body and headers of one call, ready to be sent (possibly many times). */
  prepare(spec: CallSpec): { body: string; headers: Record<string, string> } {
    const input =
      spec.inputTemplate === undefined
        ? this.options.input
        : renderTemplate(spec.inputTemplate, { transactionId: spec.transactionId, input: this.options.input, outputs: {} });
    const call: ParticipantCall = {
      transactionId: spec.transactionId,
      step: spec.step,
      phase: spec.phase,
      attempt: spec.attempt ?? 1,
      input,
    };
    const body = JSON.stringify(call);
    const headers = participantCallHeaders(
      call,
      { traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`, tracestate: null },
      spec.endpoint.headers,
    );
    const signature = this.signature(spec.signing ?? { kind: 'coordinator' }, body, call);
    if (signature !== undefined) headers[HEADERS.signature] = signature;
    return { body, headers };
  }

  /** Prepares and sends one call. */
  call(spec: CallSpec): Promise<Answer> {
    return this.send(spec.endpoint, this.prepare(spec));
  }

  /** Sends a raw body (the base-URL probe sends a non-call). */
  async send(endpoint: ConformanceEndpoint, prepared: { body: string; headers: Record<string, string> }): Promise<Answer> {
    const method = (endpoint.method ?? 'POST').toUpperCase();
    const timeoutMs = endpoint.timeoutMs ?? this.options.timeoutMs;
    try {
      const response = await request(endpoint.url, {
        method: method as 'POST',
        headers: prepared.headers,
        body: method === 'GET' ? undefined : prepared.body,
        dispatcher: this.agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await readCappedBody(response.body, MAX_ANSWER_BYTES);
      return { status: response.statusCode, body: parseJsonOrText(text) };
    } catch (error) {
      return { status: null, body: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }

  /** A probe body signed like a call (so a signing participant answers 400, not 401). */
  probe(endpoint: ConformanceEndpoint): Promise<Answer> {
    const body = '{}';
    const headers: Record<string, string> = { ...unreservedHeaders(endpoint.headers), 'content-type': 'application/json' };
    if (this.options.secret !== undefined) headers[HEADERS.signature] = signBody(this.options.secret, body, this.options.now());
    return this.send(endpoint, { body, headers });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private signature(signing: Signing, body: string, call: ParticipantCall): string | undefined {
    const secret = this.options.secret;
    const now = this.options.now();
    switch (signing.kind) {
      case 'none':
        return undefined;
      case 'coordinator':
        return secret === undefined ? undefined : signBody(secret, body, now);
      case 'wrong-secret':
        return signBody(`${secret ?? ''}-not-the-secret-${randomBytes(4).toString('hex')}`, body, now);
      case 'stale':
        return signBody(secret ?? '', body, now - signing.ageMs);
      case 'other-body':
        return signBody(secret ?? '', JSON.stringify({ ...call, input: { tampered: true } }), now);
    }
  }
}


export function sameAnswer(a: Answer, b: Answer): boolean {
  return a.status !== null && a.status === b.status && canonicalJson(a.body) === canonicalJson(b.body);
}

export function is2xx(a: Answer): boolean {
  return a.status !== null && a.status >= 200 && a.status < 300;
}

/** How an answer is shown in the table: `200 {"balance":5}`, `ECONNREFUSED …`. */
export function describeAnswer(a: Answer, width = 48): string {
  if (a.status === null) return cut(a.error ?? 'no answer', width);
  const body = a.body === null ? '' : ` ${typeof a.body === 'string' ? a.body : canonicalJson(a.body)}`;
  return cut(`${a.status}${body}`, width);
}

export function cut(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}
