/** The status vocabulary of transactions and steps: what the state machines
 * set, what Postgres stores and what the API answers. */

export const STEP_STATUS = {
  PENDING: 'PENDING',
  /** Saga: action scheduled or in flight. */
  RUNNING: 'RUNNING',
  /** Saga rolling back while this step's action call is still owed or in
   * flight: its compensation (if it needs one) waits for that call to answer,
   * time out, or be withdrawn unsent, and so does every step it depends on. */
  AWAITING: 'AWAITING',
  /** TCC: try scheduled or in flight. */
  TRYING: 'TRYING',
  /** Action or try succeeded. */
  SUCCEEDED: 'SUCCEEDED',
  /** Action or try refused, or its budget ran out. */
  FAILED: 'FAILED',
  COMPENSATING: 'COMPENSATING',
  COMPENSATED: 'COMPENSATED',
  CONFIRMING: 'CONFIRMING',
  CONFIRMED: 'CONFIRMED',
  CANCELLING: 'CANCELLING',
  CANCELLED: 'CANCELLED',
  /** Never called: the transaction rolled back first. */
  SKIPPED: 'SKIPPED',
  STUCK: 'STUCK',
} as const;
export type StepStatus = (typeof STEP_STATUS)[keyof typeof STEP_STATUS];

export const SAGA_STATUS = {
  RUNNING: 'RUNNING',
  COMPENSATING: 'COMPENSATING',
  COMPLETED: 'COMPLETED',
  COMPENSATED: 'COMPENSATED',
  RESOLVED: 'RESOLVED',
  STUCK: 'STUCK',
} as const;
export type SagaStatus = (typeof SAGA_STATUS)[keyof typeof SAGA_STATUS];

export const TCC_STATUS = {
  TRYING: 'TRYING',
  CONFIRMING: 'CONFIRMING',
  CANCELLING: 'CANCELLING',
  CONFIRMED: 'CONFIRMED',
  CANCELLED: 'CANCELLED',
  RESOLVED: 'RESOLVED',
  STUCK: 'STUCK',
} as const;
export type TccStatus = (typeof TCC_STATUS)[keyof typeof TCC_STATUS];

export type TransactionStatus = SagaStatus | TccStatus;

/** Every transaction status, saga and TCC, each once. */
export const TRANSACTION_STATUSES: readonly TransactionStatus[] = [...new Set([...Object.values(SAGA_STATUS), ...Object.values(TCC_STATUS)])];

/** Finished for good: nothing more will happen by itself or by an operator. */
export const TERMINAL_STATUSES: readonly TransactionStatus[] = [
  SAGA_STATUS.COMPLETED,
  SAGA_STATUS.COMPENSATED,
  TCC_STATUS.CONFIRMED,
  TCC_STATUS.CANCELLED,
  SAGA_STATUS.RESOLVED,
];

export function isTerminal(status: string): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Terminal, or STUCK (waiting for an operator): moves no further by itself. */
export function isSettled(status: string): boolean {
  return status === SAGA_STATUS.STUCK || isTerminal(status);
}

/** Where a transaction stops moving by itself: terminal, or waiting for an operator. */
export const SETTLED_STATUSES: readonly TransactionStatus[] = TRANSACTION_STATUSES.filter(isSettled);

/** Still moving: calls may be owed. */
export const IN_FLIGHT_STATUSES: readonly TransactionStatus[] = TRANSACTION_STATUSES.filter((s) => !isSettled(s));

/** Going forward before any commit point: where a deadline can still roll it back. */
export const DEADLINE_STATUSES: readonly TransactionStatus[] = [SAGA_STATUS.RUNNING, TCC_STATUS.TRYING];

/** A status list as SQL (`('A', 'B')`): the statuses are constants, never input. */
export function sqlStatusList(statuses: readonly TransactionStatus[]): string {
  return `(${statuses.map((s) => `'${s}'`).join(', ')})`;
}
