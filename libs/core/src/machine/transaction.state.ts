import type { Phase } from '../phase';

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

export const TERMINAL_STATUSES: readonly string[] = ['COMPLETED', 'COMPENSATED', 'CONFIRMED', 'CANCELLED', 'RESOLVED'];

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Terminal, or STUCK (waiting for an operator): moves no further by itself. */
export function isSettled(status: string): boolean {
  return status === STEP_STATUS.STUCK || isTerminal(status);
}

export interface StepState {
  name: string;
  status: StepStatus;
  /** Phase of the last scheduled call. */
  phase: Phase | null;
  /** Attempt number of the last scheduled call of `phase`; grows monotonically. */
  attempt: number;
  /** Attempts of `phase` spent before the current retry budget (operator retry). */
  attemptBase: number;
  /** When the call (phase, attempt) is due; null when nothing is scheduled. */
  dueAt: number | null;
  /** The action or try may have taken effect, so a rollback must undo it. */
  mayHaveApplied: boolean;
  /** Rendered input, fixed when the step is first scheduled. */
  input: unknown;
  output: unknown;
  lastError: string | null;
}

/** What a saga and a TCC transaction have in common. */
export interface TransactionState<Status extends string = string> {
  id: string;
  status: Status;
  /** Which way it moves; a STUCK transaction resumes in this direction. */
  direction: 'forward' | 'backward';
  /** Saga: a pivot step succeeded. TCC: the confirm/cancel decision is made. */
  pivotPassed: boolean;
  deadlineAt: number | null;
  input: unknown;
  steps: StepState[];
}

export function initialState<Status extends string>(
  status: Status,
  id: string,
  input: unknown,
  stepNames: readonly string[],
  deadlineAt: number | null,
): TransactionState<Status> {
  return {
    id,
    status,
    direction: 'forward',
    pivotPassed: false,
    deadlineAt,
    input,
    steps: stepNames.map((name) => ({
      name,
      status: STEP_STATUS.PENDING,
      phase: null,
      attempt: 0,
      attemptBase: 0,
      dueAt: null,
      mayHaveApplied: false,
      input: null,
      output: null,
      lastError: null,
    })),
  };
}
