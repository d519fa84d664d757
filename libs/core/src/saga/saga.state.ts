import { initialState, type TransactionState } from '../machine/transaction.state';

export const SAGA_STATUS = {
  RUNNING: 'RUNNING',
  COMPENSATING: 'COMPENSATING',
  COMPLETED: 'COMPLETED',
  COMPENSATED: 'COMPENSATED',
  RESOLVED: 'RESOLVED',
  STUCK: 'STUCK',
} as const;
export type SagaStatus = (typeof SAGA_STATUS)[keyof typeof SAGA_STATUS];

export type SagaState = TransactionState<SagaStatus>;

export function initialSagaState(id: string, input: unknown, stepNames: readonly string[], deadlineAt: number | null): SagaState {
  return initialState(SAGA_STATUS.RUNNING, id, input, stepNames, deadlineAt);
}
