import { findUnstorable, MAX_JSON_DEPTH, toStorableJson } from './storable-json';

describe(toStorableJson.name, () => {
  it('replaces NUL characters and unpaired surrogates in values and keys, keeping valid pairs', () => {
    expect(toStorableJson({ 'a\u0000': ['x\u0000y', '\ud800', 'ok \ud83d\ude00', 'z\udc00'] })).toEqual({
      'a\ufffd': ['x\ufffdy', '\ufffd', 'ok \ud83d\ude00', 'z\ufffd'],
    });
  });

  it('cuts what is nested deeper than the limit', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < MAX_JSON_DEPTH + 5; i++) deep = { d: deep };
    let node = toStorableJson(deep) as Record<string, unknown>;
    let levels = 0;
    while (typeof node === 'object') {
      node = node.d as Record<string, unknown>;
      levels++;
    }
    expect(levels).toBe(MAX_JSON_DEPTH);
    expect(node).toBe('[truncated]');
  });

  it('leaves ordinary JSON alone', () => {
    const value = { id: 'r-1', n: 3, ok: true, list: [1, null, { x: 'y' }] };
    expect(toStorableJson(value)).toEqual(value);
  });

  it('finds what it would have to replace, with its path', () => {
    expect(findUnstorable({ a: [{ b: 'x\u0000' }] })).toEqual({ path: 'a[0].b', message: expect.stringContaining('U+0000') });
    expect(findUnstorable(toStorableJson({ a: [{ b: 'x\u0000' }] }))).toBeNull();
    expect(findUnstorable({ ok: 'ok \ud83d\ude00' })).toBeNull();
  });
});
