import type { MachineEvent } from '@accord/core';
import type { AuditEntry } from '@accord/persistence';
import { EngineError } from './engine.error';
import type { TransitionRunner } from './transition.runner';

export interface OperatorAction {
  actor: string;
  note?: string;
}

/** Requests that move a transaction other than a participant's answer:
 * abort, deadline, and the operators' retry, skip and resolve. Every one a
 * caller asks for is audited with the status before and after. They answer
 * nothing: the caller reads the transaction as it now is. */
export class TransactionEvents {
  constructor(private readonly runner: TransitionRunner) {}

  abort(id: string, action: OperatorAction): Promise<void> {
    return this.apply(
      id,
      { type: 'abort', reason: `aborted by ${action.actor}` },
      { actor: action.actor, action: 'abort', target: id, note: action.note ?? null },
    );
  }

  /** `input`: when given, replaces the transaction's input from then on. */
  retry(id: string, action: OperatorAction & { input?: unknown }): Promise<void> {
    return this.apply(
      id,
      { type: 'retry', ...(action.input !== undefined ? { input: action.input } : {}) },
      { actor: action.actor, action: 'retry', target: id, note: action.note ?? null },
    );
  }

  skip(id: string, action: OperatorAction & { step: string; output?: unknown }): Promise<void> {
    return this.apply(
      id,
      { type: 'skip', step: action.step, ...(action.output !== undefined ? { output: action.output } : {}) },
      { actor: action.actor, action: 'skip', target: id, note: action.note ?? null, details: { step: action.step } },
    );
  }

  resolve(id: string, action: OperatorAction): Promise<void> {
    return this.apply(
      id,
      { type: 'resolve', note: action.note },
      { actor: action.actor, action: 'resolve', target: id, note: action.note ?? null },
    );
  }

  async deadline(id: string): Promise<void> {
    await this.runner.run(id, () => ({ event: { type: 'deadline' } }));
  }

  private async apply(id: string, event: MachineEvent, audit: AuditEntry | null): Promise<void> {
    const outcome = await this.runner.run(id, () => ({ event, ...(audit ? { audit } : {}) }));
    switch (outcome.kind) {
      case 'not-found':
        throw new EngineError('TRANSACTION_NOT_FOUND', `no transaction ${id}`);
      case 'rejected':
        throw new EngineError('INVALID_STATE', outcome.decision.reason ?? 'not allowed in the current state');
      case 'skipped':
      case 'applied':
        return;
    }
  }
}
