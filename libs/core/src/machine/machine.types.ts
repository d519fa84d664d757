import type { CallRef, Phase } from '@accord/contracts';
import type { Outcome } from '../outcome/outcome.classify';

/** Inputs of a state machine. The shell turns job results, timers and
 * operator requests into these. */
export type MachineEvent =
  | { type: 'start' }
  | { type: 'result'; step: string; phase: Phase; attempt: number; outcome: Outcome; error?: string }
  /** The shell took an owed call back unsent: it found the step AWAITING
   * before any worker had claimed that call. */
  | { type: 'withdrawn'; step: string; phase: Phase; attempt: number }
  | { type: 'deadline' }
  | { type: 'abort'; reason?: string }
  /** Operator: resume a STUCK transaction with fresh budgets; `input`, when
   * given, replaces the transaction's input from then on. */
  | { type: 'retry'; input?: unknown }
  /** Operator: close the STUCK call of `step` by hand, as succeeded (going
   * forward, with `output`) or as undone (compensated, confirmed, cancelled). */
  | { type: 'skip'; step: string; output?: unknown }
  | { type: 'resolve'; note?: string };

/** Work for the shell: make the call `ref` names at `dueAt`. */
export interface CallCommand extends CallRef {
  type: 'call';
  dueAt: number;
}

export type Rejection = 'stale' | 'invalid-state';

export interface Decision<S> {
  state: S;
  commands: CallCommand[];
  /** Set when the event did not apply; `state` is then the input state. */
  rejected?: Rejection;
  /** Why the event was rejected, for operators and API errors. */
  reason?: string;
  /** The call this result answered used up its step's retry budget. */
  exhausted?: true;
}

export interface Clock {
  now: number;
  /** Uniform in [0, 1); injected so backoff jitter stays deterministic in tests. */
  random: () => number;
}
