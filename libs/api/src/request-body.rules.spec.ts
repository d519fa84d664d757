import { refusedBodyPart } from './request-body.rules';

describe(refusedBodyPart.name, () => {
  it.each([
    ['a __proto__ key at the top', '{"__proto__": {"admin": true}, "name": "x"}', '', /"__proto__"/],
    ['a __proto__ key in an input', '{"input": {"order": {"__proto__": {"paid": true}}}}', 'input.order', /"__proto__"/],
    ['a __proto__ key in an array item', '{"input": [{"__proto__": 1}]}', 'input[0]', /"__proto__"/],
    ['a __proto__ header', '{"steps": [{"action": {"headers": {"__proto__": "x"}}}]}', 'steps[0].action.headers', /"__proto__"/],
    ['constructor.prototype', '{"input": {"constructor": {"prototype": {"polluted": true}}}}', 'input.constructor', /"prototype" inside "constructor"/],
    ['what Postgres cannot store', '{"input": {"note": "a\\u0000b"}}', 'input.note', /U\+0000/],
  ])('refuses %s, at its path', (_what, text, path, message) => {
    expect(refusedBodyPart(JSON.parse(text))).toEqual({ path, message: expect.stringMatching(message) });
  });

  it('takes keys that only look like prototype keys', () => {
    const body = JSON.parse(
      '{"constructor": "x", "prototype": {"a": 1}, "input": {"constructor": {"name": "c"}, "__proto": 1, "proto__": 2, "__PROTO__": 3, "p": {"prototype": 4}}}',
    );
    expect(refusedBodyPart(body)).toBeNull();
  });
});
