import { initialState, type TransactionState } from '../machine/transaction.state';

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

/** `pivotPassed` is the durable decision; `direction` says which: forward =
 * confirm, backward = cancel. Once made it never flips. */
export type TccState = TransactionState<TccStatus>;

export function initialTccState(id: string, input: unknown, stepNames: readonly string[], deadlineAt: number | null): TccState {
  return initialState(TCC_STATUS.TRYING, id, input, stepNames, deadlineAt);
}
