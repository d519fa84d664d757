import { HttpEndpointSchema } from './definition.schema';

const endpoint = (headers: Record<string, unknown>) => ({ url: 'http://inventory:4001/reserve', headers });

/** The issues of an endpoint with `headers`, as `path: message` (a bad
 * record key by its own message, as the coordinator reports it). */
function headerIssues(headers: Record<string, unknown>): string[] {
  const parsed = HttpEndpointSchema.safeParse(endpoint(headers));
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.code === 'invalid_key' ? i.issues.map((k) => k.message).join('; ') : i.message}`);
}

describe('HttpEndpointSchema headers', () => {
  it.each([
    'Idempotency-Key',
    'idempotency-key',
    'X-Accord-Signature',
    'x-accord-transaction',
    'X-ACCORD-ANYTHING',
    'x-accord-',
    'traceparent',
    'TraceState',
    'Content-Type',
    'content-length',
    'HOST',
    'Connection',
    'Keep-Alive',
    'Proxy-Connection',
    'Proxy-Authenticate',
    'proxy-authorization',
    'TE',
    'Trailer',
    'Transfer-Encoding',
    'Upgrade',
    'Expect',
  ])('refuses the protocol or hop-by-hop header %s, naming it', (name) => {
    expect(headerIssues({ [name]: 'x' })).toEqual([`headers.${name}: header "${name}" is set by the coordinator and cannot be overridden`]);
  });

  it.each([
    ['a CR LF pair', 'a\r\nX-Injected: 1'],
    ['a bare LF', 'a\nb'],
    ['a bare CR', 'a\rb'],
    ['NUL', 'a\u0000b'],
    ['another C0 control', 'a\u001bb'],
    ['DEL', 'a\u007fb'],
    ['a C1 control', 'a\u0085b'],
    ['a character beyond U+00FF', 'caf\u0113'],
    ['an emoji', '\ud83d\ude00'],
  ])('refuses a header value holding %s', (_what, value) => {
    expect(headerIssues({ 'x-tenant': value })).toEqual([
      'headers.x-tenant: must not contain control characters (CR, LF, NUL, …) or characters beyond U+00FF',
    ]);
  });

  it('keeps the headers a participant may need, values with tabs, spaces and Latin-1 text', () => {
    const headers = {
      Authorization: 'Bearer t0k3n',
      'X-Api-Key': 'k',
      'x-tenant': 'acme\tcorp caf\u00e9',
      'X-Accordion': 'not a protocol header',
      Accept: 'application/json',
      Cookie: 'a=b',
      'x-empty': '',
    };
    expect(HttpEndpointSchema.parse(endpoint(headers)).headers).toEqual(headers);
  });
});
