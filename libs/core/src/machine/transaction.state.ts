import { STEP_STATUS, type Phase, type StepStatus, type TransactionStatus } from '@accord/contracts';

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

/** Why a transaction rolled back or stopped, as operators read it. */
export interface Reason {
  /** The step whose answer caused it; null for the deadline or an abort. */
  step: string | null;
  phase: Phase | null;
  message: string;
}

/** What a saga and a TCC transaction have in common. */
export interface TransactionState<Status extends TransactionStatus = TransactionStatus> {
  id: string;
  status: Status;
  /** Which way it moves; a STUCK transaction resumes in this direction. */
  direction: 'forward' | 'backward';
  /** Saga: a pivot step succeeded. TCC: the confirm/cancel decision is made. */
  pivotPassed: boolean;
  deadlineAt: number | null;
  input: unknown;
  /** Why it rolled back (saga) or decided to cancel (TCC); null going forward. */
  rollbackReason: Reason | null;
  /** Why it is STUCK: the first stuck step and its error. Cleared when an
   * operator retries or skips, kept when one resolves it. */
  stuckReason: Reason | null;
  steps: StepState[];
}

export function initialState<Status extends TransactionStatus>(
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
    rollbackReason: null,
    stuckReason: null,
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
