import { TCC_STATUS, type TccStatus } from '@accord/contracts';
import { initialState, type TransactionState } from '../machine/transaction.state';

/** `pivotPassed` is the durable decision; `direction` says which: forward =
 * confirm, backward = cancel. Once made it never flips. */
export type TccState = TransactionState<TccStatus>;

export function initialTccState(id: string, input: unknown, stepNames: readonly string[], deadlineAt: number | null): TccState {
  return initialState(TCC_STATUS.TRYING, id, input, stepNames, deadlineAt);
}
