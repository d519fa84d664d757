import { DEFAULT_RETRY } from '../retry/retry.policy';
import { compileDefinition, compileSpec, planSpec, type ValidationIssue } from './definition.compile';
import type { Plan } from './plan';

/** The example definition of the public contract, verbatim. */
const contractExample = {
  name: 'checkout',
  type: 'saga',
  timeoutMs: 60000,
  retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 30000, multiplier: 2, jitter: true },
  steps: [
    {
      name: 'reserve',
      action: { url: 'http://inventory:4001/reserve', timeoutMs: 5000 },
      compensation: { url: 'http://inventory:4001/release' },
    },
    {
      name: 'charge',
      input: { amount: '{{input.total}}', reservation: '{{steps.reserve.output.id}}' },
      action: { url: 'http://payments:4002/charge' },
      compensation: { url: 'http://payments:4002/refund' },
    },
    { name: 'notify', dependsOn: [], action: { url: 'http://mail:4003/send' } },
  ],
};

const step = (name: string, extra: Record<string, unknown> = {}) => ({ name, action: { url: `http://svc/${name}` }, ...extra });
const saga = (steps: unknown[], extra: Record<string, unknown> = {}) => ({ name: 'demo', type: 'saga', steps, ...extra });

function plan(body: unknown): Plan {
  const compiled = compileDefinition(body);
  if (!compiled.ok) throw new Error(`expected the definition to compile: ${JSON.stringify(compiled.issues)}`);
  return compiled.value.plan;
}

function issues(body: unknown): ValidationIssue[] {
  const compiled = compileDefinition(body);
  if (compiled.ok) throw new Error('expected the definition to be rejected');
  return compiled.issues;
}

describe(compileDefinition.name, () => {
  it('compiles the contract example into a plan with resolved dependencies', () => {
    const compiled = compileDefinition(contractExample);
    expect(compiled.ok).toBe(true);
    if (!compiled.ok) return;
    expect(compiled.value.name).toBe('checkout');
    const { plan: p } = compiled.value;
    expect(p.type).toBe('saga');
    expect(p.timeoutMs).toBe(60000);
    expect(p.steps.map((s) => [s.name, s.deps])).toEqual([
      ['reserve', []],
      ['charge', ['reserve']],
      ['notify', []],
    ]);
    expect(p.steps[0].endpoints).toEqual({
      action: { url: 'http://inventory:4001/reserve', timeoutMs: 5000 },
      compensation: { url: 'http://inventory:4001/release' },
    });
    expect(p.steps[2].endpoints).toEqual({ action: { url: 'http://mail:4003/send' } });
    expect(p.steps[1].input).toEqual({ amount: '{{input.total}}', reservation: '{{steps.reserve.output.id}}' });
    expect(p.steps.every((s) => s.pivot === false)).toBe(true);
  });

  it('caps calls in flight at 32 unless maxParallel says otherwise, and refuses a cap outside 1..256', () => {
    expect(plan(saga([step('a')])).maxParallel).toBe(32);
    expect(plan(saga([step('a')], { maxParallel: 4 })).maxParallel).toBe(4);
    for (const bad of [0, 257, 1.5, '4']) expect(issues(saga([step('a')], { maxParallel: bad })).map((i) => i.path)).toEqual(['maxParallel']);
  });

  it('makes a step without dependsOn follow the previous step, and dependsOn: [] a root', () => {
    const p = plan(saga([step('a'), step('b'), step('c', { dependsOn: [] }), step('d'), step('e', { dependsOn: ['a', 'd'] })]));
    expect(Object.fromEntries(p.steps.map((s) => [s.name, s.deps]))).toEqual({
      a: [],
      b: ['a'],
      c: [],
      d: ['c'],
      e: ['a', 'd'],
    });
  });

  it('leaves timeoutMs null when the definition has none', () => {
    expect(plan(saga([step('a')])).timeoutMs).toBeNull();
  });

  it('marks pivot steps', () => {
    const p = plan(saga([step('a'), step('b', { pivot: true }), step('c', { pivot: false })]));
    expect(p.steps.map((s) => s.pivot)).toEqual([false, true, false]);
  });

  it('merges retry policies field by field: step over definition over defaults', () => {
    const p = plan(
      saga([step('a'), step('b', { retry: { maxAttempts: 2, jitter: false } })], {
        retry: { maxAttempts: 7, initialDelayMs: 250 },
      }),
    );
    expect(p.steps[0].retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 7, initialDelayMs: 250 });
    expect(p.steps[1].retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 2, initialDelayMs: 250, jitter: false });
  });

  it('uses the defaults when no retry policy is given', () => {
    expect(plan(saga([step('a')])).steps[0].retry).toEqual(DEFAULT_RETRY);
  });

  it('accepts message-transport endpoints', () => {
    const p = plan(saga([{ name: 'a', action: { transport: 'nats', pattern: 'inventory.reserve' } }]));
    expect(p.steps[0].endpoints.action).toEqual({ transport: 'nats', pattern: 'inventory.reserve' });
  });

  it('compiles a TCC definition with try, confirm and cancel endpoints', () => {
    const p = plan({
      name: 'transfer',
      type: 'tcc',
      steps: [
        { name: 'debit', try: { url: 'http://a/try' }, confirm: { url: 'http://a/confirm' }, cancel: { url: 'http://a/cancel' } },
        { name: 'credit', try: { url: 'http://b/try' }, confirm: { url: 'http://b/confirm' }, cancel: { url: 'http://b/cancel' } },
      ],
    });
    expect(p.type).toBe('tcc');
    expect(p.steps[1].deps).toEqual(['debit']);
    expect(p.steps[0].endpoints).toEqual({
      try: { url: 'http://a/try' },
      confirm: { url: 'http://a/confirm' },
      cancel: { url: 'http://a/cancel' },
    });
    expect(p.steps[0].pivot).toBe(false);
  });

  it('rejects a TCC step that has an action', () => {
    const found = issues({
      name: 'transfer',
      type: 'tcc',
      steps: [
        {
          name: 'debit',
          action: { url: 'http://a/act' },
          try: { url: 'http://a/try' },
          confirm: { url: 'http://a/confirm' },
          cancel: { url: 'http://a/cancel' },
        },
      ],
    });
    expect(found).toEqual([expect.objectContaining({ path: 'steps[0]' })]);
    expect(found[0].message).toMatch(/action/);
  });

  it('rejects a saga step without an action', () => {
    expect(issues(saga([{ name: 'a' }]))).toEqual([expect.objectContaining({ path: 'steps[0].action' })]);
  });

  it.each([
    ['an upper-case name', 'Checkout'],
    ['a name starting with a dash', '-checkout'],
    ['an empty name', ''],
    ['a name with a space', 'check out'],
    ['a name longer than 128 characters', 'a'.repeat(129)],
  ])('rejects %s for the definition', (_, name) => {
    expect(issues({ ...saga([step('a')]), name })).toEqual([
      { path: 'name', message: 'must match ^[a-z0-9][a-z0-9._-]{0,127}$' },
    ]);
  });

  it('accepts a name of exactly 128 characters with dots, dashes and underscores', () => {
    expect(compileDefinition({ ...saga([step('a')]), name: `a.b-c_${'d'.repeat(122)}` }).ok).toBe(true);
  });

  it('rejects a bad step name with its path', () => {
    expect(issues(saga([step('a'), step('Bad Name')]))).toEqual([
      { path: 'steps[1].name', message: 'must match ^[a-z0-9][a-z0-9._-]{0,127}$' },
    ]);
  });

  it('rejects duplicate step names', () => {
    expect(issues(saga([step('a'), step('b'), step('a', { dependsOn: [] })]))).toEqual([
      { path: 'steps[2].name', message: 'duplicate step name "a"' },
    ]);
  });

  it('rejects a dependency on an unknown step', () => {
    expect(issues(saga([step('a'), step('b', { dependsOn: ['a', 'ghost'] })]))).toEqual([
      { path: 'steps[1].dependsOn[1]', message: 'unknown step "ghost"' },
    ]);
  });

  it('rejects a step that depends on itself', () => {
    expect(issues(saga([step('a'), step('b', { dependsOn: ['b'] })]))).toEqual([
      { path: 'steps[1].dependsOn[0]', message: 'a step cannot depend on itself' },
    ]);
  });

  it('rejects a duplicate dependency', () => {
    expect(issues(saga([step('a'), step('b', { dependsOn: ['a', 'a'] })]))).toEqual([
      { path: 'steps[1].dependsOn', message: 'duplicate dependency' },
    ]);
  });

  it('rejects a dependency cycle and names the cycle', () => {
    const found = issues(saga([step('a', { dependsOn: ['c'] }), step('b', { dependsOn: ['a'] }), step('c', { dependsOn: ['b'] })]));
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe('steps');
    expect(found[0].message).toMatch(/^dependency cycle: /);
    const names = found[0].message.replace('dependency cycle: ', '').split(' -> ');
    // a closed walk through all three steps, following dependencies
    expect(names[0]).toBe(names[names.length - 1]);
    expect(new Set(names)).toEqual(new Set(['a', 'b', 'c']));
    const deps: Record<string, string> = { a: 'c', b: 'a', c: 'b' };
    for (let i = 0; i + 1 < names.length; i++) expect(deps[names[i]]).toBe(names[i + 1]);
  });

  it('rejects a two-step cycle', () => {
    expect(issues(saga([step('a', { dependsOn: ['b'] }), step('b')]))).toEqual([
      { path: 'steps', message: 'dependency cycle: a -> b -> a' },
    ]);
  });

  it('accepts a dependency on a later step when there is no cycle', () => {
    const p = plan(saga([step('a', { dependsOn: ['b'] }), step('b', { dependsOn: [] })]));
    expect(p.steps[0].deps).toEqual(['b']);
  });

  it.each([
    ['an ftp URL', 'ftp://files/x'],
    ['a relative URL', '/reserve'],
    ['a host-less string', 'inventory'],
    ['an empty URL', ''],
  ])('rejects %s', (_, url) => {
    const found = issues(saga([{ name: 'a', action: { url } }]));
    expect(found).toContainEqual({ path: 'steps[0].action.url', message: 'must be an absolute http(s) URL' });
  });

  it('rejects an endpoint without a URL or transport at the url field', () => {
    expect(issues(saga([{ name: 'a', action: { method: 'POST' } }]))).toEqual([{ path: 'steps[0].action.url', message: expect.any(String) }]);
  });

  it('rejects a message endpoint without a pattern at the pattern field', () => {
    expect(issues(saga([{ name: 'a', action: { transport: 'nats' } }]))).toEqual([
      { path: 'steps[0].action.pattern', message: expect.any(String) },
    ]);
  });

  it('accepts https URLs with ports, paths and a method', () => {
    expect(compileDefinition(saga([{ name: 'a', action: { url: 'https://svc.internal:8443/a/b?x=1', method: 'PUT' } }])).ok).toBe(true);
  });

  it('rejects an unknown HTTP method and an unknown endpoint field', () => {
    expect(issues(saga([{ name: 'a', action: { url: 'http://a/x', method: 'TRACE' } }]))[0].path).toBe('steps[0].action.method');
    expect(issues(saga([{ name: 'a', action: { url: 'http://a/x', verb: 'POST' } }]))[0].path).toBe('steps[0].action');
  });

  it('rejects a bad or reserved endpoint header at its own path, by what is wrong with it', () => {
    const headers = { 'bad header': 'x', 'X-Accord-Step': 'y', 'x-ok': 'a\r\nb' };
    expect(issues(saga([{ name: 'a', action: { url: 'http://a/x', headers } }]))).toEqual([
      { path: 'steps[0].action.headers.bad header', message: 'invalid header name' },
      { path: 'steps[0].action.headers.X-Accord-Step', message: 'header "X-Accord-Step" is set by the coordinator and cannot be overridden' },
      { path: 'steps[0].action.headers.x-ok', message: expect.stringContaining('control characters') },
    ]);
  });

  it.each([
    ['maxAttempts 0', { maxAttempts: 0 }, 'maxAttempts'],
    ['a fractional maxAttempts', { maxAttempts: 1.5 }, 'maxAttempts'],
    ['a negative initialDelayMs', { initialDelayMs: -1 }, 'initialDelayMs'],
    ['a negative maxDelayMs', { maxDelayMs: -5 }, 'maxDelayMs'],
    ['a multiplier below 1', { multiplier: 0.5 }, 'multiplier'],
  ])('rejects a retry policy with %s', (_, retry, field) => {
    expect(issues(saga([step('a')], { retry }))).toEqual([{ path: `retry.${field}`, message: expect.any(String) }]);
    expect(issues(saga([step('a', { retry })]))).toEqual([{ path: `steps[0].retry.${field}`, message: expect.any(String) }]);
  });

  it('rejects a retry policy whose initialDelayMs exceeds maxDelayMs', () => {
    expect(issues(saga([step('a', { retry: { initialDelayMs: 500, maxDelayMs: 100 } })]))).toEqual([
      { path: 'steps[0].retry.initialDelayMs', message: 'initialDelayMs must not exceed maxDelayMs' },
    ]);
  });

  it('rejects unknown fields in a retry policy', () => {
    const found = issues(saga([step('a')], { retry: { maxAttempts: 3, backoff: 'linear' } }));
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe('retry');
    expect(found[0].message).toMatch(/backoff/);
  });

  it('rejects unknown top-level fields', () => {
    const found = issues({ ...saga([step('a')]), owner: 'team-a' });
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe('');
    expect(found[0].message).toMatch(/owner/);
  });

  it('rejects unknown step fields', () => {
    const found = issues(saga([step('a', { compensate: { url: 'http://a/undo' } })]));
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe('steps[0]');
    expect(found[0].message).toMatch(/compensate/);
  });

  it('rejects a definition without steps', () => {
    expect(issues(saga([]))).toEqual([{ path: 'steps', message: expect.any(String) }]);
  });

  it('rejects an unknown type', () => {
    expect(issues({ ...saga([step('a')]), type: 'workflow' })[0].path).toBe('type');
  });

  it('rejects a non-object body', () => {
    expect(compileDefinition(null).ok).toBe(false);
    expect(compileDefinition('checkout').ok).toBe(false);
  });

  it('rejects a template that reads a step which is not an ancestor', () => {
    expect(
      issues(saga([step('a'), step('b', { dependsOn: [] }), step('c', { dependsOn: ['a'], input: { x: '{{steps.b.output.id}}' } })])),
    ).toEqual([{ path: 'steps[2].input', message: 'template reads step "b", which "c" does not depend on' }]);
  });

  it('rejects a template that reads a later step', () => {
    expect(issues(saga([step('a', { input: '{{steps.b.output}}' }), step('b')]))).toEqual([
      { path: 'steps[0].input', message: 'template reads step "b", which "a" does not depend on' },
    ]);
  });

  it('rejects a template that reads the step itself', () => {
    expect(issues(saga([step('a', { input: '{{steps.a.output}}' })]))).toEqual([
      { path: 'steps[0].input', message: 'template reads step "a", which "a" does not depend on' },
    ]);
  });

  it('rejects a template that reads an unknown step', () => {
    expect(issues(saga([step('a'), step('b', { input: ['{{steps.nope.output.id}}'] })]))).toEqual([
      { path: 'steps[1].input', message: 'template reads unknown step "nope"' },
    ]);
  });

  it('accepts a template that reads a transitive ancestor', () => {
    expect(compileDefinition(saga([step('a'), step('b'), step('c', { input: { id: 'x-{{steps.a.output.id}}' } })])).ok).toBe(true);
  });

  it.each([
    ['an unknown root', '{{order.total}}'],
    ['a path into transaction other than its id', '{{transaction.name}}'],
    ['a step path without output', '{{steps.a.id}}'],
    ['an empty reference', '{{ }}'],
    ['a path with spaces', '{{input.total amount}}'],
  ])('rejects a malformed template path: %s', (_, template) => {
    const found = issues(saga([step('a'), step('b', { input: { nested: [template] } })]));
    expect(found).toHaveLength(1);
    expect(found[0].path).toBe('steps[1].input.nested[0]');
    expect(found[0].message).toMatch(/^unknown template path /);
  });

  it('accepts every documented template root', () => {
    expect(
      compileDefinition(saga([step('a'), step('b', { input: { t: '{{transaction.id}}', i: '{{input}}', o: '{{ steps.a.output }}', d: 'x{{input.a.b}}y' } })])).ok,
    ).toBe(true);
  });
});

describe(compileSpec.name, () => {
  it('compiles an inline spec without a name', () => {
    const { name: _name, ...spec } = contractExample;
    const compiled = compileSpec(spec);
    expect(compiled.ok).toBe(true);
    if (compiled.ok) expect(compiled.value.plan.steps.map((s) => s.name)).toEqual(['reserve', 'charge', 'notify']);
  });

  it('rejects an inline spec that carries a name', () => {
    const found = compileSpec(contractExample);
    expect(found.ok).toBe(false);
  });

  it('reports plan issues for inline specs too', () => {
    const compiled = compileSpec({ type: 'saga', steps: [step('a', { dependsOn: ['zzz'] })] });
    expect(compiled).toEqual({ ok: false, issues: [{ path: 'steps[0].dependsOn[0]', message: 'unknown step "zzz"' }] });
  });
});

describe(planSpec.name, () => {
  it('rebuilds the same plan from a stored spec', () => {
    const compiled = compileDefinition(contractExample);
    if (!compiled.ok) throw new Error('example must compile');
    expect(planSpec(compiled.value.spec)).toEqual({ ok: true, value: compiled.value.plan });
  });
});
