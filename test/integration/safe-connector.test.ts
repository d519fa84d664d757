/**
 * The call-time half of the safe-target rules, through real sockets: the
 * HttpInvoker checks every address a host name resolves to where undici
 * connects (DNS rebinding), refuses without sending, and still sends URL
 * credentials and endpoint headers to an allowed participant. Host names
 * are resolved by a scripted resolver, so a name can rebind between calls.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { parseAllowList, targetPolicy, type TargetPolicy } from '@accord/core';
import type { ParticipantCall } from '@accord/contracts';
import { checkTarget, ForbiddenTargetError, HttpInvoker, safeConnector, type Resolver } from '@accord/transport';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
}

describe('safe targets at call time', () => {
  let server: Server;
  let port: number;
  let received: Received[];
  /** What each name resolves to, per lookup: the last answer repeats. */
  let dns: Record<string, string[][]>;
  const lookups: string[] = [];

  const resolve: Resolver = (hostname) => {
    lookups.push(hostname);
    const answers = dns[hostname];
    if (!answers) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    const answer = answers.length > 1 ? answers.shift()! : answers[0];
    return Promise.resolve(answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };

  const policy = (options: { production?: boolean; allow?: string; selfPorts?: number[] } = {}): TargetPolicy => {
    const allow = options.allow === undefined ? null : parseAllowList(options.allow);
    if (allow && !allow.ok) throw new Error(allow.message);
    return targetPolicy({ allow: allow ? allow.entries : null, refuseLoopback: options.production ?? false, selfPorts: options.selfPorts ?? [] });
  };

  const call: ParticipantCall = { transactionId: 't-1', step: 'reserve', phase: 'action', attempt: 1, input: { n: 1 } };
  const invokers: HttpInvoker[] = [];
  const invoker = (p: TargetPolicy) => {
    const created = new HttpInvoker({ policy: p, resolve });
    invokers.push(created);
    return created;
  };
  const invoke = (inv: HttpInvoker, url: string, headers?: Record<string, string>) =>
    inv.invoke({ endpoint: { url, headers }, call, trace: { traceparent: '', tracestate: null }, timeoutMs: 2000 });

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push({ path: req.url ?? '', headers: req.headers });
      // A new connection per call, so every call looks the name up again.
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"ok":true}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });

  beforeEach(() => {
    received = [];
    dns = {};
    lookups.length = 0;
  });

  afterAll(async () => {
    for (const inv of invokers) await inv.close();
    await new Promise((done) => server.close(done));
  });

  it('connects to the address the check passed: a name that only the resolver knows reaches the participant', async () => {
    dns['participant.test'] = [['127.0.0.1']];
    const { result } = await invoke(invoker(policy()), `http://participant.test:${port}/reserve`);
    expect(result).toMatchObject({ kind: 'response', status: 200, body: { ok: true } });
    expect(lookups).toEqual(['participant.test']);
    expect(received.map((r) => [r.path, r.headers.host])).toEqual([['/reserve', `participant.test:${port}`]]);
  });

  it('does not send a call whose name rebinds to the metadata address between two calls', async () => {
    dns['rebind.test'] = [['127.0.0.1'], ['169.254.169.254']];
    const inv = invoker(policy());
    expect((await invoke(inv, `http://rebind.test:${port}/a`)).result).toMatchObject({ kind: 'response', status: 200 });
    const second = await invoke(inv, `http://rebind.test:${port}/b`);
    expect(second.result).toEqual({ kind: 'forbidden', reason: expect.stringContaining('rebind.test (169.254.169.254) is a link-local address') });
    expect(received.map((r) => r.path)).toEqual(['/a']);
    expect(lookups).toEqual(['rebind.test', 'rebind.test']);
  });

  it.each([
    ['a link-local address among good ones', ['127.0.0.1', '169.254.169.254'], 'link-local'],
    ['an IPv4-mapped metadata address', ['::ffff:169.254.169.254'], 'link-local'],
    ['IPv6 link-local', ['fe80::1'], 'link-local'],
    ['the unspecified address', ['0.0.0.0'], 'unspecified'],
  ])('refuses a name that resolves to %s, sending nothing', async (_, addresses, what) => {
    dns['evil.test'] = [addresses];
    const { result } = await invoke(invoker(policy()), `http://evil.test:${port}/x`);
    expect(result).toMatchObject({ kind: 'forbidden', reason: expect.stringContaining(what) });
    expect(received).toEqual([]);
  });

  it('refuses a name that resolves to the coordinator itself (its own port on loopback)', async () => {
    dns['me.test'] = [['127.0.0.1']];
    const { result } = await invoke(invoker(policy({ selfPorts: [port] })), `http://me.test:${port}/v1/admin/audit`);
    expect(result).toMatchObject({ kind: 'forbidden', reason: expect.stringContaining('is the coordinator itself') });
    expect(received).toEqual([]);
  });

  it('refuses a name that resolves to loopback in production, unless PARTICIPANT_ALLOW names it', async () => {
    dns['sidecar.test'] = [['127.0.0.1']];
    const refused = await invoke(invoker(policy({ production: true })), `http://sidecar.test:${port}/x`);
    expect(refused.result).toMatchObject({ kind: 'forbidden', reason: expect.stringContaining('loopback') });
    const wildcard = await invoke(invoker(policy({ production: true, allow: '*.test' })), `http://sidecar.test:${port}/x`);
    expect(wildcard.result).toMatchObject({ kind: 'forbidden', reason: expect.stringContaining('loopback') });
    expect(received).toEqual([]);
    const named = await invoke(invoker(policy({ production: true, allow: `sidecar.test:${port}` })), `http://sidecar.test:${port}/x`);
    expect(named.result).toMatchObject({ kind: 'response', status: 200 });
    expect(received).toHaveLength(1);
  });

  it('refuses a URL the policy refuses as written before resolving or connecting', async () => {
    const { result, latencyMs } = await invoke(invoker(policy({ allow: '*.corp' })), `http://127.0.0.1:${port}/x`);
    expect(result).toEqual({ kind: 'forbidden', reason: `127.0.0.1 is not in PARTICIPANT_ALLOW` });
    expect(latencyMs).toBe(0);
    expect(lookups).toEqual([]);
    expect(received).toEqual([]);
  });

  it('checks an address in the URL at connect time too (Node does not look addresses up)', async () => {
    const agent = new Agent({ connect: safeConnector(policy({ selfPorts: [port] }), { resolve }) });
    try {
      await expect(request(`http://127.0.0.1:${port}/x`, { dispatcher: agent })).rejects.toBeInstanceOf(ForbiddenTargetError);
      await expect(request(`http://[::ffff:127.0.0.1]:${port}/x`, { dispatcher: agent })).rejects.toBeInstanceOf(ForbiddenTargetError);
    } finally {
      await agent.close();
    }
    expect(received).toEqual([]);
  });

  it('treats a name that does not resolve as a call never delivered (retried, not compensated), not as forbidden', async () => {
    const { result } = await invoke(invoker(policy()), `http://nowhere.test:${port}/x`);
    expect(result).toMatchObject({ kind: 'network', code: 'ENOTFOUND', unsent: true });
  });

  it('sends URL credentials as Basic authorization and endpoint headers as given; an explicit header wins', async () => {
    const inv = invoker(policy());
    await invoke(inv, `http://alice:p%40ss%3Aword@127.0.0.1:${port}/basic`, { 'x-api-key': 'k-123' });
    await invoke(inv, `http://alice:secret@127.0.0.1:${port}/explicit`, { Authorization: 'Bearer explicit-token' });
    expect(received.map((r) => [r.path, r.headers.authorization, r.headers['x-api-key']])).toEqual([
      ['/basic', `Basic ${Buffer.from('alice:p@ss:word').toString('base64')}`, 'k-123'],
      ['/explicit', 'Bearer explicit-token', undefined],
    ]);
  });

  it('checks a URL ahead of use, as written and as its name resolves now (for STUCK_WEBHOOK_URL at start-up)', async () => {
    dns['hooks.test'] = [['10.1.2.3']];
    dns['meta.test'] = [['10.1.2.3', '169.254.169.254']];
    expect(await checkTarget('https://hooks.test/stuck', policy(), resolve)).toEqual({ ok: true });
    expect(await checkTarget('https://meta.test/stuck', policy(), resolve)).toMatchObject({ ok: false, rule: 'link-local' });
    expect(await checkTarget('http://[::]/stuck', policy(), resolve)).toMatchObject({ ok: false, rule: 'unspecified' });
    expect(await checkTarget('https://hooks.test/stuck', policy({ allow: '*.corp' }), resolve)).toMatchObject({ ok: false, rule: 'not-allowed' });
    await expect(checkTarget('https://nowhere.test/', policy(), resolve)).rejects.toThrow('ENOTFOUND');
    expect(lookups).toEqual(['hooks.test', 'meta.test', 'nowhere.test']);
  });
});
