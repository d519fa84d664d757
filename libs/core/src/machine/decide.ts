import type { Plan } from '../definition/plan';
import { decideSaga } from '../saga/saga.machine';
import { initialSagaState, type SagaState } from '../saga/saga.state';
import { decideTcc } from '../tcc/tcc.machine';
import { initialTccState, type TccState } from '../tcc/tcc.state';
import type { Clock, Decision, MachineEvent } from './machine.types';
import type { TransactionState } from './transaction.state';

/** The machine of the plan's type. */
export function decide(plan: Plan, state: TransactionState, event: MachineEvent, clock: Clock): Decision<TransactionState> {
  switch (plan.type) {
    case 'saga':
      return decideSaga(plan, state as SagaState, event, clock);
    case 'tcc':
      return decideTcc(plan, state as TccState, event, clock);
  }
}

export function initialStateFor(plan: Plan, id: string, input: unknown, now: number): TransactionState {
  const names = plan.steps.map((s) => s.name);
  const deadlineAt = plan.timeoutMs === null ? null : now + plan.timeoutMs;
  switch (plan.type) {
    case 'saga':
      return initialSagaState(id, input, names, deadlineAt);
    case 'tcc':
      return initialTccState(id, input, names, deadlineAt);
  }
}
