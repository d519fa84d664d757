/**
 * Test-only scaffolding shared by the saga and TCC property specs: the
 * schedule generators and the common part of the simulator, which answers
 * outstanding calls in any order with any outcome, replays duplicates and
 * stale results, fires the deadline and aborts, and checks the invariants
 * both machines share after every event. Excluded from the build
 * (`*.spec-kit.ts`).
 */
import fc from 'fast-check';
import { STEP_STATUS, type Phase, type TransactionType } from '@accord/contracts';
import { compileSpec } from '../src/definition/definition.compile';
import type { Plan, PlannedStep } from '../src/definition/plan';
import type { Outcome } from '../src/outcome/outcome.classify';
import type { Decide } from './machine.spec-kit';
import type { CallCommand, Decision, MachineEvent } from '../src/machine/machine.types';
import type { StepState, TransactionState } from '../src/machine/transaction.state';

// ---- generators --------------------------------------------------------------

/** `unsent`: a retry of a call that never reached the participant (connection refused). */
export type OutcomeKind = 'ok' | 'refused' | 'retry' | 'unsent' | 'misconfigured';

/** Outcomes, `ok` weighted `okWeight` against retry 2, unsent 1, refused 1, misconfigured 1. */
export const outcomeKindArb = (okWeight: number): fc.Arbitrary<OutcomeKind> =>
  fc.oneof(
    { arbitrary: fc.constant('ok' as const), weight: okWeight },
    { arbitrary: fc.constant('retry' as const), weight: 2 },
    { arbitrary: fc.constant('unsent' as const), weight: 1 },
    { arbitrary: fc.constant('refused' as const), weight: 1 },
    { arbitrary: fc.constant('misconfigured' as const), weight: 1 },
  );

export type Move =
  | { kind: 'answer'; pick: number; outcome: OutcomeKind; dt: number; retryAfter?: number }
  | { kind: 'stale'; pick: number; variant: 'issued' | 'attempt+1' | 'attempt-1' | 'phase'; outcome: OutcomeKind }
  | { kind: 'deadline'; late: boolean }
  | { kind: 'abort' }
  /** The shell takes an owed call back unsent (only an awaited one can be). */
  | { kind: 'withdraw'; pick: number }
  /** An operator skips the call of a STUCK step (of any step: refused unless STUCK). */
  | { kind: 'skip'; pick: number };

/** How an operator repairs a transaction left STUCK at the end of a schedule. */
export type Repair = 'retry' | 'retry-input' | 'skip';

const moveArb = (outcomeArb: fc.Arbitrary<OutcomeKind>): fc.Arbitrary<Move> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record(
        {
          kind: fc.constant('answer' as const),
          pick: fc.nat(),
          outcome: outcomeArb,
          dt: fc.integer({ min: 0, max: 50 }),
          retryAfter: fc.integer({ min: 0, max: 5_000 }),
        },
        { requiredKeys: ['kind', 'pick', 'outcome', 'dt'] },
      ),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('stale' as const),
        pick: fc.nat(),
        variant: fc.constantFrom('issued' as const, 'attempt+1' as const, 'attempt-1' as const, 'phase' as const),
        outcome: outcomeArb,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deadline' as const), late: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('withdraw' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('skip' as const), pick: fc.nat() }) },
  );

/** Up to `maxMoves` random moves, then outcomes used, in a cycle, to drain what is still outstanding. */
export const scheduleArb = (outcomeArb: fc.Arbitrary<OutcomeKind>, maxMoves: number) =>
  fc.record({
    moves: fc.array(moveArb(outcomeArb), { maxLength: maxMoves }),
    /** Outcomes used, in a cycle, to drain what is still outstanding after the moves. */
    drain: fc.array(outcomeArb, { minLength: 1, maxLength: 8 }),
    repair: fc.constantFrom<Repair>('retry', 'retry-input', 'skip'),
  });

/** How many runs the main property makes: ACCORD_PROPERTY_RUNS, else `fallback`. */
export const propertyRuns = (fallback: number): number => Number(process.env.ACCORD_PROPERTY_RUNS ?? fallback);

/** Which outstanding call to answer next, used in a cycle. */
export const picksArb = fc.array(fc.nat(), { minLength: 1, maxLength: 20 });

// ---- plans ---------------------------------------------------------------------

export const DEADLINE_AT = 1_000;

/** Generated dependencies, kept to earlier steps and named; undefined stays undefined (follow the previous step). */
export const earlierDeps = (deps: number[] | undefined, i: number, nameOf: (i: number) => string): string[] | undefined =>
  deps === undefined ? undefined : [...new Set(deps.filter((d) => d < i))].map(nameOf);

/** A generated cap on calls in flight: mostly none (the default), sometimes 1 to 3. */
export const maxParallelArb = fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 2 });

/** Compiles a generated definition, with the deadline at DEADLINE_AT when `deadline`. */
export function compileGenerated(type: TransactionType, deadline: boolean, steps: unknown[], maxParallel?: number): Plan {
  const compiled = compileSpec({ type, ...(deadline ? { timeoutMs: DEADLINE_AT } : {}), ...(maxParallel ? { maxParallel } : {}), steps });
  if (!compiled.ok) throw new Error(`generated an invalid plan: ${JSON.stringify(compiled.issues)}`);
  return compiled.value.plan;
}

/** Every step's transitive dependents. */
export function descendantsOf(plan: Plan): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  for (const step of plan.steps) {
    const seen = new Set<string>();
    const todo = plan.steps.filter((d) => d.deps.includes(step.name)).map((d) => d.name);
    while (todo.length > 0) {
      const next = todo.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      todo.push(...plan.steps.filter((d) => d.deps.includes(next)).map((d) => d.name));
    }
    result.set(step.name, seen);
  }
  return result;
}

// ---- the simulator -------------------------------------------------------------

export type CallId = { step: string; phase: Phase; attempt: number };

export const resultOf = (c: CallId, outcome: Outcome): MachineEvent => ({ type: 'result', step: c.step, phase: c.phase, attempt: c.attempt, outcome });
export const key = (c: CallId) => `${c.step}/${c.phase}/${c.attempt}`;

export function check(condition: boolean, what: string, context?: unknown): asserts condition {
  if (!condition) throw new Error(`${what}${context === undefined ? '' : `: ${JSON.stringify(context)}`}`);
}

export function outcomeOf(kind: OutcomeKind, step: string, attempt: number, retryAfter?: number): Outcome {
  switch (kind) {
    case 'ok':
      return { type: 'ok', output: { v: `${step}@${attempt}` } };
    case 'refused':
      return { type: 'refused', status: 409 };
    case 'retry':
      return retryAfter === undefined ? { type: 'retry' } : { type: 'retry', retryAfterMs: retryAfter };
    case 'unsent':
      return { type: 'retry', unsent: true };
    case 'misconfigured':
      return { type: 'misconfigured', status: 400 };
  }
}

/** What differs between the machines in the checks the simulator makes after every accepted event. */
export interface SimulatorRules {
  /** Transaction statuses in which calls are outstanding. */
  inFlight: readonly string[];
  /** The phase that goes forward (a skip there ends the step SUCCEEDED with an output). */
  forwardPhase: Phase;
  /** Step statuses in which a call may be outstanding. */
  stepInFlight: readonly string[];
  /** The words for a step and for a transaction in failure messages. */
  stepNoun: string;
  transactionNoun: string;
}

/**
 * The shared simulator: sends events through `decide`, rejects input
 * mutation and rejected events that change anything, and checks the issued
 * calls against the state. Subclasses track what they need (`observe`), add
 * their own checks (`checkBefore`, `checkCommand`, `checkAfter`) and say how
 * the deadline, an abort and a wrong-phase result must go.
 */
export abstract class SimulatorBase<S extends TransactionState> {
  now = 0;
  seq = 0;
  random = 0.5;
  readonly issued: CallCommand[] = [];
  readonly issuedKeys = new Set<string>();
  readonly descendants: Map<string, Set<string>>;
  /** How `recoverFromStuck` repairs a STUCK transaction. */
  repair: Repair = 'retry';

  constructor(
    readonly plan: Plan,
    public state: S,
    private readonly decide: Decide<S>,
    private readonly rules: SimulatorRules,
  ) {
    this.descendants = descendantsOf(plan);
  }

  live(): CallId[] {
    return this.state.steps.filter((s) => s.dueAt !== null).map((s) => ({ step: s.name, phase: s.phase!, attempt: s.attempt }));
  }

  send(event: MachineEvent): Decision<S> {
    const before = this.state;
    const frozen = JSON.stringify(before);
    const decision = this.decide(this.plan, before, event, { now: this.now, random: () => this.random });
    check(JSON.stringify(before) === frozen, `${this.decide.name} mutated its input state`);
    if (decision.rejected) {
      check(decision.state === before && decision.commands.length === 0, 'a rejected event changed the state or issued calls', decision);
      return decision;
    }
    this.seq++;
    this.state = decision.state;
    this.observe(event, before, decision);
    this.checkInvariants(before, decision);
    // a call is started only into a free slot; an operator retry resumes every stuck call at once
    if (event.type !== 'retry' && decision.commands.some((c) => c.attempt === 1)) {
      const outstanding = decision.state.steps.filter((s) => s.dueAt !== null).length;
      check(outstanding <= this.plan.maxParallel, 'more calls in flight than maxParallel', { max: this.plan.maxParallel, state: decision.state });
    }
    return decision;
  }

  /** Bookkeeping of an accepted event, before the invariants are checked. */
  protected abstract observe(event: MachineEvent, before: S, decision: Decision<S>): void;
  /** Checks on the transition, before the issued calls are looked at. */
  protected abstract checkBefore(before: S, after: S): void;
  /** Checks on one issued call, after the checks every machine shares. */
  protected abstract checkCommand(c: CallCommand, step: StepState, planned: PlannedStep, after: S): void;
  /** Checks on the state, after the checks every machine shares. */
  protected abstract checkAfter(after: S): void;

  private checkInvariants(before: S, decision: Decision<S>): void {
    const after = decision.state;
    const byName = new Map(after.steps.map((s) => [s.name, s]));
    this.checkBefore(before, after);

    for (const c of decision.commands) {
      const planned = this.plan.steps.find((s) => s.name === c.step)!;
      const step = byName.get(c.step)!;
      // call ids are unique: the shell builds job ids from (step, phase, attempt)
      check(!this.issuedKeys.has(key(c)), 'the same call (step, phase, attempt) was issued twice', c);
      check(c.dueAt >= this.now, 'a call is due in the past', c);
      this.checkCommand(c, step, planned, after);
      this.issued.push(c);
      this.issuedKeys.add(key(c));
    }

    // every outstanding call is the last one issued for its step
    for (const s of after.steps) {
      if (s.dueAt === null) continue;
      const last = this.issued.findLast((c) => c.step === s.name)!;
      // an awaited call may become due earlier (a retry in backoff, to be withdrawn at once), never later
      const dueAgrees = last.dueAt === s.dueAt || (s.status === STEP_STATUS.AWAITING && s.dueAt < last.dueAt);
      check(last.phase === s.phase && last.attempt === s.attempt && dueAgrees, 'the outstanding call is not the last one issued', { last, s });
      check(this.rules.stepInFlight.includes(s.status), `a call is outstanding for a settled ${this.rules.stepNoun}`, s);
    }

    const anyDue = after.steps.some((s) => s.dueAt !== null);
    const inFlight = this.rules.inFlight.includes(after.status);
    check(inFlight === anyDue, inFlight ? 'in flight with nothing outstanding' : `a call is outstanding in a settled ${this.rules.transactionNoun}`, after);
    this.checkReasons(before, after);
    this.checkAfter(after);
  }

  /** Why it rolled back is set with the rollback and never changes; why it is
   * STUCK names a STUCK step while it is, and is gone once it moves again. */
  private checkReasons(before: S, after: S): void {
    check((after.direction === 'backward') === (after.rollbackReason !== null), 'the rollback reason and the direction disagree', after);
    if (before.rollbackReason !== null) {
      check(JSON.stringify(before.rollbackReason) === JSON.stringify(after.rollbackReason), 'the rollback reason changed', { before, after });
    }
    if (after.status === STEP_STATUS.STUCK) {
      const named = after.steps.find((s) => s.name === after.stuckReason?.step);
      check(named?.status === STEP_STATUS.STUCK && after.stuckReason!.message.length > 0, 'STUCK without its stuck step as the reason', after);
    } else if (after.status !== 'RESOLVED') {
      check(after.stuckReason === null, `a stuck reason on a ${after.status} ${this.rules.transactionNoun}`, after);
    }
  }

  /** The checks on a call every machine shares: it is its step's outstanding call, within its retry budget. */
  protected checkCallAgreesWithStep(c: CallCommand, step: StepState, planned: PlannedStep): void {
    // the command is the step's outstanding call
    check(step.phase === c.phase && step.attempt === c.attempt && step.dueAt === c.dueAt, 'command and step state disagree', { c, step });
    // an attempt never exceeds the budget it was scheduled under
    const used = c.attempt - step.attemptBase;
    check(used >= 1 && used <= planned.retry.maxAttempts, 'an attempt outside its retry budget', { c, step });
  }

  answer(c: CallId, kind: OutcomeKind, retryAfter?: number): void {
    const decision = this.send(resultOf(c, outcomeOf(kind, c.step, c.attempt, retryAfter)));
    check(decision.rejected === undefined, 'the answer to an outstanding call was rejected', decision);
  }

  expectStale(c: CallId, kind: OutcomeKind): void {
    const before = this.state;
    const decision = this.send(resultOf(c, outcomeOf(kind, c.step, c.attempt)));
    check(decision.rejected === 'stale' && this.state === before, 'a stale or duplicate result was not rejected as stale', { c, decision });
  }

  /** Answers outstanding calls until none is left; returns false if it did not settle. */
  drain(kinds: OutcomeKind[], bound = 500): boolean {
    for (let i = 0; i < bound; i++) {
      const live = this.live();
      if (live.length === 0) return true;
      this.now += 7;
      this.answer(live[i % live.length], kinds[i % kinds.length]);
    }
    return this.live().length === 0;
  }

  /** A phase other than `target`'s, for a result that must be stale. */
  protected abstract otherPhase(target: CallId, pick: number): Phase;
  /** Whether a deadline event applies to `before` (it may still be early). */
  protected abstract deadlineApplies(before: S): boolean;
  /** Checks after a deadline that applied. */
  protected abstract checkDeadlinePassed(): void;
  /** Checks after an abort of `before`. */
  protected abstract checkAbort(before: S, decision: Decision<S>): void;
  /** Withdraws the owed call `target` if the machine lets it go unsent. */
  protected abstract withdraw(target: CallId): void;

  apply(move: Move): void {
    const live = this.live();
    switch (move.kind) {
      case 'answer': {
        if (live.length === 0) return;
        this.now += move.dt;
        this.random = (move.pick % 1000) / 1000;
        this.answer(live[move.pick % live.length], move.outcome, move.retryAfter);
        return;
      }
      case 'stale': {
        if (move.variant === 'issued') {
          // duplicates of answered calls (and, in TCC, late answers to tries abandoned by the decision)
          const liveKeys = new Set(live.map(key));
          const old = this.issued.filter((c) => !liveKeys.has(key(c)));
          if (old.length > 0) this.expectStale(old[move.pick % old.length], move.outcome);
          return;
        }
        if (live.length === 0) return;
        const target = live[move.pick % live.length];
        if (move.variant === 'attempt+1') this.expectStale({ ...target, attempt: target.attempt + 1 }, move.outcome);
        else if (move.variant === 'attempt-1') this.expectStale({ ...target, attempt: target.attempt - 1 }, move.outcome);
        else this.expectStale({ ...target, phase: this.otherPhase(target, move.pick) }, move.outcome);
        return;
      }
      case 'deadline': {
        if (move.late) this.now = Math.max(this.now, DEADLINE_AT);
        const before = this.state;
        const applies = this.deadlineApplies(before);
        const decision = this.send({ type: 'deadline' });
        if (applies && this.now >= before.deadlineAt!) {
          expect(decision.rejected).toBeUndefined();
          this.checkDeadlinePassed();
        } else {
          expect(decision.rejected).toBe(applies ? 'stale' : 'invalid-state');
        }
        return;
      }
      case 'abort': {
        const before = this.state;
        this.checkAbort(before, this.send({ type: 'abort' }));
        return;
      }
      case 'withdraw':
        if (live.length > 0) this.withdraw(live[move.pick % live.length]);
        return;
      case 'skip': {
        const stuck = this.state.steps.filter((s) => s.status === STEP_STATUS.STUCK);
        if (stuck.length > 0) return this.skip(stuck[move.pick % stuck.length].name);
        const any = this.state.steps[move.pick % this.state.steps.length];
        const before = this.state;
        check(this.send({ type: 'skip', step: any.name }).rejected === 'invalid-state' && this.state === before, 'a skip of a step that is not STUCK applied', any);
        return;
      }
    }
  }

  /** Checks a transaction with nothing outstanding. */
  abstract checkSettled(): void;

  /** An operator closes the STUCK call of `name` by hand: going forward with
   * an output (an output for an undo is refused first), undoing without. */
  skip(name: string): void {
    const step = this.state.steps.find((s) => s.name === name)!;
    const output = { v: `${name}@skip` };
    if (step.phase !== this.rules.forwardPhase) {
      const refused = this.send({ type: 'skip', step: name, output });
      check(refused.rejected === 'invalid-state', 'an output was accepted for a step skipped while undoing', refused);
    }
    const decision = this.send({ type: 'skip', step: name, ...(step.phase === this.rules.forwardPhase ? { output } : {}) });
    check(decision.rejected === undefined, 'skipping a STUCK step was rejected', decision);
    const after = this.state.steps.find((s) => s.name === name)!;
    check(after.status !== STEP_STATUS.STUCK && after.dueAt === null, 'a skipped step is still STUCK or owes a call', after);
    if (step.phase === this.rules.forwardPhase) check(JSON.stringify(after.output) === JSON.stringify(output), 'a step skipped forward lost its output', after);
  }

  /** Starts (once only), plays `moves`, drains with `drain`, then checks the settled transaction and replays every call. */
  runSchedule(moves: readonly Move[], drain: OutcomeKind[]): void {
    expect(this.send({ type: 'start' }).rejected).toBeUndefined();
    expect(this.send({ type: 'start' }).rejected).toBe('invalid-state');
    for (const move of moves) this.apply(move);
    expect(this.drain(drain)).toBe(true);
    this.checkSettled();
    this.replayEverything();
  }

  /**
   * For a STUCK transaction: resolving would close it for good; an operator
   * retry with participants that now always answer ok finishes it in
   * `finalStatus[direction]`. `checkRetried` sees each call the retry issued.
   */
  recoverFromStuck(finalStatus: Record<'forward' | 'backward', string>, checkRetried?: (c: CallCommand, direction: 'forward' | 'backward') => void): void {
    // resolving closes it for good
    this.expectResolvable();

    // the operator repairs it; the participants now always answer ok
    const direction = this.state.direction;
    if (this.repair === 'skip') {
      for (let round = 0; this.state.status === STEP_STATUS.STUCK && round < 20; round++) {
        for (const s of this.state.steps.filter((x) => x.status === STEP_STATUS.STUCK)) this.skip(s.name);
        expect(this.drain(['ok'])).toBe(true);
      }
    } else {
      const commands = this.retryStuck(this.repair === 'retry-input' ? { order: 2 } : undefined);
      if (checkRetried) for (const c of commands) checkRetried(c, direction);
    }
    expect(this.drain(['ok'])).toBe(true);
    const final: string = this.state.status;
    expect(final).toBe(finalStatus[direction]);
    this.checkSettled();
    this.replayEverything();
  }

  /** Every call issued so far, delivered again, is stale and changes nothing. */
  replayEverything(): void {
    const liveKeys = new Set(this.live().map(key));
    for (const c of this.issued) {
      if (liveKeys.has(key(c))) continue;
      for (const kind of ['ok', 'refused', 'retry', 'unsent', 'misconfigured'] as const) this.expectStale(c, kind);
    }
  }

  /** Resolving a STUCK transaction closes it for good (checked on a copy: the simulator's state is left alone). */
  expectResolvable(): void {
    const resolved = this.decide(this.plan, this.state, { type: 'resolve', note: 'by hand' }, { now: this.now, random: () => 0 });
    expect(resolved.rejected).toBeUndefined();
    expect(resolved.state.status).toBe('RESOLVED');
    expect(resolved.state.steps.every((s) => s.dueAt === null)).toBe(true);
  }

  /** An operator retry of a STUCK transaction: accepted, and every call it
   * issues is attempt 1 of a fresh budget; with `input`, the input is
   * replaced, and the steps stuck going forward are sent it from then on. */
  retryStuck(input?: unknown): CallCommand[] {
    const before = this.state;
    const retried = this.send({ type: 'retry', ...(input !== undefined ? { input } : {}) });
    expect(retried.rejected).toBeUndefined();
    expect(retried.commands.length).toBeGreaterThan(0);
    if (input !== undefined) {
      expect(this.state.input).toEqual(input);
      for (const s of this.state.steps) {
        const was = before.steps.find((b) => b.name === s.name)!;
        const template = this.plan.steps.find((p) => p.name === s.name)!.input;
        const reRendered = was.status === STEP_STATUS.STUCK && was.phase === this.rules.forwardPhase;
        if (reRendered && template === undefined) expect(s.input).toEqual(input);
        if (!reRendered && was.status !== STEP_STATUS.PENDING) expect(s.input).toEqual(was.input);
      }
    }
    for (const c of retried.commands) {
      const step = this.state.steps.find((s) => s.name === c.step)!;
      // a fresh budget: the first call after the retry counts as attempt 1 of it
      expect(c.attempt - step.attemptBase).toBe(1);
    }
    return retried.commands;
  }

  /** Every step appears in `succeeded` after all of its dependencies. */
  expectDependencyOrder(succeeded: readonly string[]): void {
    for (const step of this.plan.steps) {
      for (const dep of step.deps) expect(succeeded.indexOf(dep)).toBeLessThan(succeeded.indexOf(step.name));
    }
  }

  /** Answers outstanding calls, picked by `picks` in a cycle, with `kindOf` the call, at most `bound` times. */
  answerAll(picks: readonly number[], bound: number, kindOf: (target: CallId) => OutcomeKind): void {
    for (let i = 0; this.live().length > 0 && i < bound; i++) {
      const live = this.live();
      const target = live[picks[i % picks.length] % live.length];
      this.answer(target, kindOf(target));
    }
  }
}

/**
 * The main property: for every generated plan and schedule, the simulator
 * runs the schedule to the end (`runSchedule`), `verdict` checks the settled
 * transaction (and recovers a STUCK one), and then nothing is left to retry.
 */
export function assertRandomSchedules<Shape, S extends TransactionState>(
  numRuns: number,
  shapes: fc.Arbitrary<Shape>,
  schedules: fc.Arbitrary<{ moves: Move[]; drain: OutcomeKind[]; repair: Repair }>,
  simulate: (shape: Shape) => SimulatorBase<S>,
  verdict: (sim: SimulatorBase<S>) => void,
): void {
  fc.assert(
    fc.property(shapes, schedules, (shape, { moves, drain, repair }) => {
      const sim = simulate(shape);
      sim.repair = repair;
      sim.runSchedule(moves, drain);
      verdict(sim);
      expect(sim.send({ type: 'retry' }).rejected).toBe('invalid-state');
    }),
    { numRuns },
  );
}
