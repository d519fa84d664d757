import type { Plan, StepState } from '@accord/core';
import { stepWrites } from './step-writes';

const step = (name: string, over: Partial<StepState> = {}): StepState => ({
  name, status: 'PENDING', phase: null, attempt: 0, attemptBase: 0, dueAt: null, mayHaveApplied: false,
  input: { n: 1 }, output: null, lastError: null, ...over,
});
const plan = { steps: [] } as unknown as Plan;

describe('stepWrites', () => {
  it('writes nothing for steps that did not change, even when copied', () => {
    const before = [step('a'), step('b')];
    expect(stepWrites(plan, before, before.map((s) => ({ ...s })), [], 100)).toEqual([]);
  });

  it.each<[keyof StepState, unknown]>([
    ['status', 'RUNNING'], ['phase', 'action'], ['attempt', 1], ['attemptBase', 1], ['dueAt', 5],
    ['mayHaveApplied', true], ['input', { n: 2 }], ['output', { ok: true }], ['lastError', 'refused'],
  ])('writes a step whose %s changed, and only that step', (field, value) => {
    const before = [step('a'), step('b')];
    const after = [before[0], { ...before[1], [field]: value }];
    expect(stepWrites(plan, before, after, [], 100).map((w) => [w.name, w[field]])).toEqual([['b', value]]);
  });

  it('pre-claims a new call due at once, never a call the step already owed nor one due later', () => {
    const call = (name: string, attempt: number, dueAt: number) => ({ type: 'call' as const, transactionId: 't', step: name, phase: 'action' as const, attempt, dueAt });
    const owed = (name: string, attempt: number) => step(name, { status: 'RUNNING', phase: 'action', attempt, dueAt: 5 });
    const before = [owed('same', 1), owed('retried', 1), owed('later', 1), step('next')];
    const after = [{ ...owed('same', 1), dueAt: 1 }, owed('retried', 2), owed('later', 2), owed('next', 1)];
    const commands = [call('same', 1, 10), call('retried', 2, 10), call('later', 2, 11), call('next', 1, 10)];
    expect(stepWrites(plan, before, after, commands, 100, 10).map((w) => [w.name, w.preclaim])).toEqual([
      ['same', false], ['retried', true], ['later', false], ['next', true],
    ]);
  });

  it('writes a step that was not there before', () => {
    expect(stepWrites(plan, [], [step('a')], [], 100).map((w) => w.name)).toEqual(['a']);
  });
});
