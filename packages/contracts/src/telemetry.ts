/** Names of the span attributes (and log fields) Accord writes, as the
 * contract's "Tracing" section lists them. */
export const ACCORD_ATTRIBUTES = {
  transactionId: 'accord.transaction.id',
  transactionType: 'accord.transaction.type',
  definitionName: 'accord.definition.name',
  definitionVersion: 'accord.definition.version',
  stepName: 'accord.step.name',
  stepPhase: 'accord.step.phase',
  stepAttempt: 'accord.step.attempt',
  stepOutcome: 'accord.step.outcome',
} as const;

/** A W3C trace context: what a transaction keeps of the trace it belongs to. */
export interface TraceContext {
  traceparent: string;
  tracestate: string | null;
}
