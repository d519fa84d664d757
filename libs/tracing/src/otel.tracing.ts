import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_URL_FULL } from '@opentelemetry/semantic-conventions';
import { ACCORD_ATTRIBUTES as A, type CallRef, type TraceContext } from '@accord/contracts';
import type { CallerTrace, CallFacts, CallSpan, StartedTransaction, StartSpan, Tracing } from '@accord/engine';

/** Span names; the call's is the contract's (`accord.step <phase>`). */
export const SPAN_NAMES = {
  start: 'accord.transaction start',
  call: (phase: string) => `accord.step ${phase}`,
  recovery: 'accord.sweeper recover',
} as const;

/** What Accord keeps and sends is W3C trace context, whatever OTEL_PROPAGATORS says for other headers. */
const W3C = new W3CTraceContextPropagator();
const carrierGetter = {
  keys: (carrier: Record<string, string | null | undefined>) => Object.keys(carrier),
  get: (carrier: Record<string, string | null | undefined>, key: string) => carrier[key] ?? undefined,
};
const carrierSetter = {
  set: (carrier: Record<string, string>, key: string, value: string) => (carrier[key] = value),
};

function extract(trace: TraceContext | CallerTrace | null): Context {
  return trace ? W3C.extract(ROOT_CONTEXT, trace, carrierGetter) : ROOT_CONTEXT;
}

function contextOf(ctx: Context): TraceContext {
  const carrier: Record<string, string> = {};
  W3C.inject(ctx, carrier, carrierSetter);
  return { traceparent: carrier.traceparent, tracestate: carrier.tracestate ?? null };
}

/** Ends `span` once, after `run` settles, an error marking it failed. */
async function within<T>(ctx: Context, span: Span, run: () => Promise<T>, ended: () => boolean): Promise<T> {
  try {
    return await context.with(ctx, run);
  } catch (error) {
    if (!ended()) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    throw error;
  } finally {
    if (!ended()) span.end();
  }
}

function transactionAttributes(t: Omit<StartedTransaction, 'id'>): Record<string, string | number> {
  const attributes: Record<string, string | number> = { [A.transactionType]: t.type };
  if (t.definitionName !== null) attributes[A.definitionName] = t.definitionName;
  if (t.definitionVersion !== null) attributes[A.definitionVersion] = t.definitionVersion;
  return attributes;
}

function callAttributes(call: CallRef): Record<string, string | number> {
  return { [A.transactionId]: call.transactionId, [A.stepName]: call.step, [A.stepPhase]: call.phase, [A.stepAttempt]: call.attempt };
}

function targetAttributes(facts: CallFacts): Record<string, string> {
  if (facts.transport === 'http') return { [ATTR_URL_FULL]: facts.url, [ATTR_HTTP_REQUEST_METHOD]: facts.method };
  return { [MESSAGING_SYSTEM]: facts.transport, [MESSAGING_DESTINATION]: facts.url };
}

/** Messaging attributes (semantic conventions, still incubating: not in the stable export). */
const MESSAGING_SYSTEM = 'messaging.system';
const MESSAGING_DESTINATION = 'messaging.destination.name';

/** The engine's tracing through the OpenTelemetry API (the SDK started by `startTracing`). */
export class OtelTracing implements Tracing {
  constructor(
    private readonly tracer: Tracer,
    private readonly shutdown: () => Promise<void>,
  ) {}

  start<T>(caller: CallerTrace, run: (span: StartSpan) => Promise<T>): Promise<T> {
    // Over HTTP the server span (a child of the caller's traceparent) is active.
    const active = context.active();
    const parent = trace.getSpan(active) ? active : extract(caller);
    const span = this.tracer.startSpan(SPAN_NAMES.start, { kind: SpanKind.INTERNAL }, parent);
    const ctx = trace.setSpan(parent, span);
    const handle: StartSpan = {
      context: contextOf(ctx),
      started: (t) => span.setAttributes({ [A.transactionId]: t.id, ...transactionAttributes(t) }),
    };
    return within(ctx, span, () => run(handle), () => false);
  }

  call<T>(parent: TraceContext | null, facts: CallFacts, run: (span: CallSpan) => Promise<T>): Promise<T> {
    const parentContext = extract(parent);
    const span = this.tracer.startSpan(
      SPAN_NAMES.call(facts.call.phase),
      { kind: SpanKind.CLIENT, attributes: { ...callAttributes(facts.call), ...transactionAttributes(facts), ...targetAttributes(facts) } },
      parentContext,
    );
    const ctx = trace.setSpan(parentContext, span);
    let ended = false;
    // The span is the call: it ends with the answer. The transition that
    // follows runs in its context (its Postgres and Redis spans are children,
    // and the next calls' jobs carry it).
    const handle: CallSpan = {
      context: contextOf(ctx),
      answered: (outcome, statusCode) => {
        span.setAttribute(A.stepOutcome, outcome);
        if (statusCode !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, statusCode);
        if (outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        span.end();
        ended = true;
      },
    };
    return within(ctx, span, () => run(handle), () => ended);
  }

  recovered(call: CallRef, transactionTrace: TraceContext | null): TraceContext | null {
    const parent = extract(transactionTrace);
    const span = this.tracer.startSpan(SPAN_NAMES.recovery, { kind: SpanKind.INTERNAL, attributes: callAttributes(call) }, parent);
    span.end();
    return contextOf(trace.setSpan(parent, span));
  }

  active(): TraceContext | null {
    const ctx = context.active();
    return trace.getSpan(ctx) ? contextOf(ctx) : null;
  }

  /** Gives up after `timeoutMs`: with no collector answering, the exporter
   * would retry for seconds and hold up the process's exit. */
  async flush(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((done) => {
      timer = setTimeout(done, timeoutMs);
      timer.unref();
    });
    await Promise.race([this.shutdown().catch(() => undefined), expired]);
    clearTimeout(timer);
  }
}

/** The active span's ids for a log line (pino's mixin). */
export function activeSpanFields(): Record<string, string> {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
