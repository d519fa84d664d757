import type { Endpoint, Phase, TransactionType } from '@accord/contracts';
import type { RetryPolicy } from '../retry/retry.policy';

/** A validated definition, normalised for the state machines: dependencies
 * resolved, retry policies merged, endpoints indexed by phase. */
export interface Plan {
  type: TransactionType;
  timeoutMs: number | null;
  /** Calls in flight at once; an operator retry may resume more. */
  maxParallel: number;
  steps: PlannedStep[];
}

export const DEFAULT_MAX_PARALLEL = 32;

export interface PlannedStep {
  name: string;
  /** Steps that must succeed first. */
  deps: string[];
  /** Every step that depends on this one, directly or transitively: undone
   * before it. Computed once per plan, not per decision. */
  dependents: string[];
  /** Input template; undefined means the transaction's input. */
  input: unknown;
  retry: RetryPolicy;
  pivot: boolean;
  endpoints: Partial<Record<Phase, Endpoint>>;
}

export const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export function callTimeoutMs(endpoint: Endpoint): number {
  return endpoint.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
}
