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
    expect(stepWrites(plan, before, before.map((s) => ({ ...s })), 100)).toEqual([]);
  });

  it.each<[keyof StepState, unknown]>([
    ['status', 'RUNNING'], ['phase', 'action'], ['attempt', 1], ['attemptBase', 1], ['dueAt', 5],
    ['mayHaveApplied', true], ['input', { n: 2 }], ['output', { ok: true }], ['lastError', 'refused'],
  ])('writes a step whose %s changed, and only that step', (field, value) => {
    const before = [step('a'), step('b')];
    const after = [before[0], { ...before[1], [field]: value }];
    expect(stepWrites(plan, before, after, 100).map((w) => [w.name, w[field]])).toEqual([['b', value]]);
  });

  it('writes a step that was not there before', () => {
    expect(stepWrites(plan, [], [step('a')], 100).map((w) => w.name)).toEqual(['a']);
  });
});
