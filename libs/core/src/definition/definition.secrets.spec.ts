import { compileDefinition } from './definition.compile';
import { MASK, maskSpec, maskUrl } from './definition.secrets';

describe(maskUrl.name, () => {
  it.each([
    ['http://user:pass@inventory:4001/reserve?x=1', 'http://***:***@inventory:4001/reserve?x=1'],
    ['https://token@payments.example/charge', 'https://***@payments.example/charge'],
    ['http://:only-a-password@svc/', 'http://:***@svc/'],
    ['http://svc/x', 'http://svc/x'],
  ])('%s → %s', (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });
});

describe(maskSpec.name, () => {
  it('masks header values and URL credentials of every endpoint, and nothing else', () => {
    const compiled = compileDefinition({
      name: 'secretive',
      type: 'saga',
      steps: [
        {
          name: 'a',
          input: { url: 'http://keep:this@input/', headers: { kept: 'as is' } },
          action: { url: 'http://u:p@svc/a', headers: { authorization: 'Bearer s3cret', 'x-api-key': 'k3y' }, timeoutMs: 100 },
          compensation: { url: 'http://svc/undo' },
        },
      ],
    });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
    const { spec } = compiled.value;
    expect(maskSpec(spec)).toEqual({
      type: 'saga',
      steps: [
        {
          name: 'a',
          input: { url: 'http://keep:this@input/', headers: { kept: 'as is' } },
          action: { url: 'http://***:***@svc/a', headers: { authorization: MASK, 'x-api-key': MASK }, timeoutMs: 100 },
          compensation: { url: 'http://svc/undo' },
        },
      ],
    });
    // The original is untouched: it is what the coordinator sends.
    expect(spec.steps[0]).toMatchObject({ action: { url: 'http://u:p@svc/a', headers: { authorization: 'Bearer s3cret' } } });
  });

  it('masks TCC endpoints too', () => {
    const compiled = compileDefinition({
      name: 'tcc-secret',
      type: 'tcc',
      steps: [{ name: 'a', try: { url: 'http://u:p@svc/try' }, confirm: { url: 'http://svc/c', headers: { k: 'v' } }, cancel: { url: 'http://svc/x' } }],
    });
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
    expect(maskSpec(compiled.value.spec).steps[0]).toMatchObject({
      try: { url: 'http://***:***@svc/try' },
      confirm: { headers: { k: MASK } },
    });
  });
});
