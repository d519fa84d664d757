import { maskUrl } from '@accord/core';
import type { AttemptView, AuditEntry } from '@accord/contracts';

type Row = Record<string, unknown>;

export function presentAttempt(r: Row): AttemptView {
  return {
    id: String(r.id),
    step: r.step as string,
    phase: r.phase as AttemptView['phase'],
    attempt: r.attempt as number,
    startedAt: new Date(r.started_at as string).toISOString(),
    latencyMs: r.latency_ms as number,
    outcome: r.outcome as AttemptView['outcome'],
    statusCode: r.status_code as number | null,
    error: r.error as string | null,
    request: presentRequest(r.request),
    applied: r.applied as boolean,
    budgetExhausted: r.budget_exhausted as boolean,
    worker: r.worker as string,
  };
}

/** Operator actions on a transaction; the others (API keys) have no transaction. */
const TRANSACTION_ACTIONS = new Set(['retry', 'skip', 'resolve', 'abort']);

export function presentAudit(r: Row): AuditEntry {
  const action = r.action as string;
  const details = (r.details ?? {}) as { before?: unknown; after?: unknown };
  return {
    id: String(r.id),
    at: new Date(r.at as string).toISOString(),
    actor: r.actor as string,
    action,
    transactionId: TRANSACTION_ACTIONS.has(action) ? (r.target as string) : null,
    note: r.note as string | null,
    before: details.before ?? null,
    after: details.after ?? null,
    target: r.target as string | null,
    details: r.details,
  };
}

/** The call as logged; the URL is masked again here for rows written before
 * credentials were masked at the source. */
function presentRequest(request: unknown): AttemptView['request'] {
  if (typeof request !== 'object' || request === null) return null;
  const { method, url } = request as { method?: unknown; url?: unknown };
  return typeof method === 'string' && typeof url === 'string' ? { method, url: maskUrl(url) } : null;
}
