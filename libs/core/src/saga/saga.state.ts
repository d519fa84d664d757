import type { Phase } from '../phase';

export const SAGA_STATUS = {
  RUNNING: 'RUNNING',
  COMPENSATING: 'COMPENSATING',
  COMPLETED: 'COMPLETED',
  COMPENSATED: 'COMPENSATED',
  RESOLVED: 'RESOLVED',
  STUCK: 'STUCK',
} as const;
export type SagaStatus = (typeof SAGA_STATUS)[keyof typeof SAGA_STATUS];

export const STEP_STATUS = {
  PENDING: 'PENDING',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  COMPENSATING: 'COMPENSATING',
  COMPENSATED: 'COMPENSATED',
  SKIPPED: 'SKIPPED',
  STUCK: 'STUCK',
} as const;
export type StepStatus = (typeof STEP_STATUS)[keyof typeof STEP_STATUS];

export const TERMINAL_STATUSES: readonly string[] = ['COMPLETED', 'COMPENSATED', 'CONFIRMED', 'CANCELLED', 'RESOLVED'];

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.includes(status);
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
  /** The action may have taken effect, so a rollback must compensate it. */
  mayHaveApplied: boolean;
  /** Rendered input, fixed when the step is first scheduled. */
  input: unknown;
  output: unknown;
  lastError: string | null;
}

export interface SagaState {
  id: string;
  status: SagaStatus;
  /** Which way the saga moves; a STUCK saga resumes in this direction. */
  direction: 'forward' | 'backward';
  pivotPassed: boolean;
  deadlineAt: number | null;
  input: unknown;
  steps: StepState[];
}

export function initialSagaState(id: string, input: unknown, stepNames: readonly string[], deadlineAt: number | null): SagaState {
  return {
    id,
    status: SAGA_STATUS.RUNNING,
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
