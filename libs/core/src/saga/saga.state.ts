import { SAGA_STATUS, type SagaStatus } from '@accord/contracts';
import { initialState, type TransactionState } from '../machine/transaction.state';

export type SagaState = TransactionState<SagaStatus>;

export function initialSagaState(id: string, input: unknown, stepNames: readonly string[], deadlineAt: number | null): SagaState {
  return initialState(SAGA_STATUS.RUNNING, id, input, stepNames, deadlineAt);
}
