/**
 * Test-only scaffolding shared by the saga and TCC machine specs: plan
 * builders, outcome constructors and a driver that keeps one transaction's
 * state, clock and issued commands. Excluded from the build (`*.spec-kit.ts`).
 */
import type { Phase, TransactionType } from '@accord/contracts';
import { compileSpec } from '../src/definition/definition.compile';
import type { Plan } from '../src/definition/plan';
import type { Outcome } from '../src/outcome/outcome.classify';
import type { CallCommand, Clock, Decision, MachineEvent } from '../src/machine/machine.types';
import type { StepState, TransactionState } from '../src/machine/transaction.state';

// ---- plans -------------------------------------------------------------------

/** What every hand-written step or branch may say; the endpoints are the machine's own. */
export interface StepSpecBase {
  name: string;
  dependsOn?: string[];
  input?: unknown;
  maxAttempts?: number;
}

/** Compiles a definition of `type` with a fixed, jitter-free retry policy (100, 200, … ms, 3 attempts). */
export function compilePlan<S extends StepSpecBase>(
  type: TransactionType,
  steps: S[],
  endpoints: (step: S) => Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Plan {
  const compiled = compileSpec({
    type,
    retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 2, jitter: false },
    ...extra,
    steps: steps.map((s) => ({
      name: s.name,
      ...(s.dependsOn ? { dependsOn: s.dependsOn } : {}),
      ...endpoints(s),
      ...(s.input !== undefined ? { input: s.input } : {}),
      ...(s.maxAttempts ? { retry: { maxAttempts: s.maxAttempts } } : {}),
    })),
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  return compiled.value.plan;
}

// ---- outcomes and commands -----------------------------------------------------

export const ok = (output: unknown = null): Outcome => ({ type: 'ok', output });
export const refused = (status = 409): Outcome => ({ type: 'refused', status });
export const unknown = (retryAfterMs?: number): Outcome => ({ type: 'retry', ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
export const misconfigured = (status = 400): Outcome => ({ type: 'misconfigured', status });

/** A command of the driver's transaction (`tx-1`). */
export const call = (step: string, phase: Phase, attempt = 1, dueAt = 0) => ({ type: 'call', transactionId: 'tx-1', step, phase, attempt, dueAt });
export const names = (commands: CallCommand[]) => commands.map((c) => `${c.step}:${c.phase}`);

// ---- the driver ------------------------------------------------------------------

export type Decide<S> = (plan: Plan, state: S, event: MachineEvent, clock: Clock) => Decision<S>;
export type InitialState<S> = (id: string, input: unknown, stepNames: readonly string[], deadlineAt: number | null) => S;

/** Drives one transaction: keeps the state, the clock and every command issued. */
export class MachineDriver<S extends TransactionState> {
  state: S;
  now = 0;
  readonly calls: CallCommand[] = [];
  last!: Decision<S>;

  constructor(
    private readonly decide: Decide<S>,
    initial: InitialState<S>,
    readonly plan: Plan,
    opts: { input?: unknown; deadlineAt?: number | null } = {},
  ) {
    this.state = initial('tx-1', opts.input ?? { total: 42 }, plan.steps.map((s) => s.name), opts.deadlineAt ?? null);
  }

  send(event: MachineEvent): Decision<S> {
    const clock: Clock = { now: this.now, random: () => 0 };
    this.last = this.decide(this.plan, this.state, event, clock);
    this.state = this.last.state;
    this.calls.push(...this.last.commands);
    return this.last;
  }

  start(): CallCommand[] {
    return this.send({ type: 'start' }).commands;
  }

  /** Answers the call currently outstanding for `name`. */
  answer(name: string, outcome: Outcome): CallCommand[] {
    const step = this.step(name);
    if (step.dueAt === null || step.phase === null) throw new Error(`nothing outstanding for ${name}`);
    const decision = this.send({ type: 'result', step: name, phase: step.phase, attempt: step.attempt, outcome });
    if (decision.rejected) throw new Error(`result for ${name} rejected: ${decision.reason}`);
    return decision.commands;
  }

  /** Sends a result that must be rejected as stale without changing anything. */
  expectStale(name: string, phase: Phase, attempt: number, outcome: Outcome = ok()): void {
    const before = this.state;
    const snapshot = structuredClone(before);
    const decision = this.send({ type: 'result', step: name, phase, attempt, outcome });
    expect(decision).toMatchObject({ rejected: 'stale', commands: [] });
    expect(this.state).toBe(before);
    expect(this.state).toEqual(snapshot);
  }

  step(name: string): StepState {
    return this.state.steps.find((s) => s.name === name)!;
  }

  statuses(): Record<string, string> {
    return Object.fromEntries(this.state.steps.map((s) => [s.name, s.status]));
  }
}
