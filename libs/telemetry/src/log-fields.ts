import { ACCORD_ATTRIBUTES, type CallRef } from '@accord/contracts';

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** What names a transaction in a log line: its id, the step when there is
 * one, and the trace it belongs to (`trace_id`, `span_id`, the names
 * OpenTelemetry's log correlation uses). With tracing on, the logger's
 * mixin puts the active span's ids in their place. */
export function transactionFields(
  transaction: { id: string; traceparent: string | null },
  call?: Pick<CallRef, 'step'> & Partial<CallRef>,
): Record<string, unknown> {
  const fields: Record<string, unknown> = { [ACCORD_ATTRIBUTES.transactionId]: transaction.id };
  if (call) {
    fields[ACCORD_ATTRIBUTES.stepName] = call.step;
    if (call.phase) fields[ACCORD_ATTRIBUTES.stepPhase] = call.phase;
    if (call.attempt) fields[ACCORD_ATTRIBUTES.stepAttempt] = call.attempt;
  }
  const match = transaction.traceparent ? TRACEPARENT.exec(transaction.traceparent) : null;
  if (match) {
    fields.trace_id = match[1];
    fields.span_id = match[2];
  }
  return fields;
}
