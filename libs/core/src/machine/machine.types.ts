import type { Outcome } from '../outcome/outcome.classify';
import type { Phase } from '../phase';

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
  | { type: 'retry' }
  | { type: 'resolve'; note?: string };

/** Work for the shell: call `phase` of `step` as attempt `attempt` at `dueAt`. */
export interface CallCommand {
  type: 'call';
  step: string;
  phase: Phase;
  attempt: number;
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
}

export interface Clock {
  now: number;
  /** Uniform in [0, 1); injected so backoff jitter stays deterministic in tests. */
  random: () => number;
}
