import type { CallRef, TraceContext, TransactionType } from '@accord/contracts';
import { adoptTraceContext, childTraceContext } from '@accord/transport';

/** The trace context a caller sent with a start (W3C headers). */
export interface CallerTrace {
  traceparent?: string;
  tracestate?: string;
}

/** What a started transaction's span is told of it. */
export interface StartedTransaction {
  id: string;
  type: TransactionType;
  definitionName: string | null;
  definitionVersion: number | null;
}

/** A start while it runs. */
export interface StartSpan {
  /** What the transaction keeps: its calls' spans descend from it. */
  readonly context: TraceContext;
  started(transaction: StartedTransaction): void;
}

/** What a participant call's span is told of the call. */
export interface CallFacts extends Omit<StartedTransaction, 'id'> {
  call: CallRef;
  /** `http`, or the message transport (`nats`, `rmq`, …). */
  transport: string;
  /** The endpoint (credentials masked; a message endpoint described), and its method (`SEND` for a message). */
  url: string;
  method: string;
}

/** A participant call while it runs. */
export interface CallSpan {
  /** What the participant receives: it names this call's span as parent. */
  readonly context: TraceContext;
  /** The classified outcome, and the HTTP status when there was an answer. */
  answered(outcome: string, statusCode: number | null): void;
}

/**
 * Where the engine's work meets tracing. `Untraced` (tracing off) costs a
 * random span id per call and keeps the trace id the transaction carries;
 * the OpenTelemetry implementation lives in @accord/tracing and is loaded
 * only when an OTLP endpoint is configured.
 */
export abstract class Tracing {
  /** Runs a start inside its span: a child of the caller's trace, or a new trace. */
  abstract start<T>(caller: CallerTrace, run: (span: StartSpan) => Promise<T>): Promise<T>;
  /** Runs a participant call (and the transition its answer makes) inside its span.
   * `parent`: the job's trace context, else the transaction's. */
  abstract call<T>(parent: TraceContext | null, facts: CallFacts, run: (span: CallSpan) => Promise<T>): Promise<T>;
  /** The sweeper enqueues `call` again: a span for it in the transaction's
   * trace, whose context the job carries (null: nothing to carry). */
  abstract recovered(call: CallRef, transactionTrace: TraceContext | null): TraceContext | null;
  /** The active span's context, for the jobs enqueued under it (null: none). */
  abstract active(): TraceContext | null;
  /** Sends what is buffered, giving up after `timeoutMs`. */
  abstract flush(timeoutMs: number): Promise<void>;
}

const UNTRACED_START: Omit<StartSpan, 'context'> = { started: () => undefined };
const UNTRACED_CALL: Omit<CallSpan, 'context'> = { answered: () => undefined };

/** Tracing off: trace ids are passed on, no span is recorded. */
export class Untraced extends Tracing {
  start<T>(caller: CallerTrace, run: (span: StartSpan) => Promise<T>): Promise<T> {
    return run({ ...UNTRACED_START, context: adoptTraceContext(caller.traceparent, caller.tracestate) });
  }

  call<T>(parent: TraceContext | null, _facts: CallFacts, run: (span: CallSpan) => Promise<T>): Promise<T> {
    return run({ ...UNTRACED_CALL, context: childTraceContext(parent) });
  }

  recovered(): TraceContext | null {
    return null;
  }

  active(): TraceContext | null {
    return null;
  }

  async flush(): Promise<void> {}
}
