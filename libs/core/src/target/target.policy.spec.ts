import { parseAllowList, type AllowEntry } from './allow-list';
import { ALLOW_OTHER, DANGEROUS_URLS, withSelf, type Verdict } from '../../spec-kit/dangerous-urls.spec-kit';
import { checkResolvedAddress, checkTargetUrl, targetPolicy, type TargetPolicy, type TargetVerdict } from './target.policy';

const SELF_PORT = 3000;
const SELF_ADDRESS = '10.20.30.40';

function allow(text: string): AllowEntry[] {
  const parsed = parseAllowList(text);
  if (!parsed.ok) throw new Error(`${parsed.entry}: ${parsed.message}`);
  return parsed.entries;
}

const policy = (options: { allow?: string; production?: boolean } = {}): TargetPolicy =>
  targetPolicy({
    allow: options.allow === undefined ? null : allow(options.allow),
    refuseLoopback: options.production ?? false,
    selfPorts: [SELF_PORT],
    selfAddresses: [SELF_ADDRESS],
  });

const verdictOf = (v: TargetVerdict): Verdict => (v.ok ? 'allowed' : v.rule);
const urlVerdict = (url: string, p: TargetPolicy) => verdictOf(checkTargetUrl(url, p));

describe('the sixteen dangerous URLs of issue 8', () => {
  const settings = {
    dev: policy(),
    production: policy({ production: true }),
    allowOther: policy({ allow: ALLOW_OTHER }),
  };

  it.each(DANGEROUS_URLS)('$url ($what): dev $dev, production $production, PARTICIPANT_ALLOW elsewhere $allowOther', (c) => {
    const url = withSelf(c.url, SELF_PORT);
    expect({
      dev: urlVerdict(url, settings.dev),
      production: urlVerdict(url, settings.production),
      allowOther: urlVerdict(url, settings.allowOther),
    }).toEqual({ dev: c.dev, production: c.production, allowOther: c.allowOther });
  });

  it('counts sixteen, of which the contract allows five by default outside production (loopback) and none in production', () => {
    expect(DANGEROUS_URLS).toHaveLength(16);
    expect(DANGEROUS_URLS.filter((c) => c.dev === 'allowed').map((c) => c.url)).toEqual([
      'http://127.0.0.1:6379/', 'http://[::1]:5432/', 'http://2130706433:6379/', 'http://0x7f.1/', 'http://[::ffff:127.0.0.1]/',
    ]);
    expect(DANGEROUS_URLS.filter((c) => c.production === 'allowed' || c.allowOther === 'allowed')).toEqual([]);
  });

  it('never echoes URL credentials in a reason', () => {
    const verdict = checkTargetUrl('http://admin:hunter2-secret@169.254.169.254/', settings.dev);
    expect(verdict).toEqual({ ok: false, rule: 'link-local', reason: expect.stringContaining('169.254.169.254') });
    expect(JSON.stringify(verdict)).not.toMatch(/hunter2|admin/);
  });
});

describe(checkTargetUrl.name, () => {
  it.each([
    ['http://[fe80::1]/', 'link-local'],
    ['http://[FE80::A9FE:A9FE]:80/', 'link-local'],
    ['http://169.254.0.1./', 'link-local'],
    ['http://0251.0376.0251.0376/', 'link-local'],
    ['http://0xA9FEA9FE/', 'link-local'],
    ['http://[0:0:0:0:0:ffff:a9fe:a9fe]/', 'link-local'],
    ['http://0/', 'unspecified'],
    ['http://0.1.2.3/', 'unspecified'],
    ['http://[0::0]/', 'unspecified'],
    ['http://ｍｅｔａｄａｔａ.google.internal/', 'metadata'],
    ['http://localhost:3000/v1/admin/audit', 'self'],
    ['http://LOCALHOST.:3000/', 'self'],
    ['http://api.localhost:3000/', 'self'],
    ['http://127.1.2.3:3000/', 'self'],
    ['http://[::1]:3000/', 'self'],
    ['http://10.20.30.40:3000/', 'self'],
    ['http://１２７.０.０.１:3000/', 'self'],
    ['file:///etc/passwd', 'scheme'],
    ['ftp://example.com/', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['not a url', 'scheme'],
  ])('refuses %s (%s) with nothing allowed', (url, rule) => {
    expect(urlVerdict(url, policy())).toBe(rule);
  });

  it.each([
    'http://inventory:4001/reserve',
    'https://payments.example.com/charge',
    'http://10.20.30.40:3001/',
    'http://127.0.0.1:3001/',
    'http://localhost:8080/',
    'http://user:pass@inventory/',
    'http://169.253.255.255/',
    'http://169.255.0.0/',
    'http://[fec0::1]/',
    'http://1.0.0.0/',
  ])('allows %s with nothing allowed outside production', (url) => {
    expect(urlVerdict(url, policy())).toBe('allowed');
  });

  it('refuses loopback names and addresses in production, and allows what PARTICIPANT_ALLOW names', () => {
    expect(urlVerdict('http://localhost:8080/', policy({ production: true }))).toBe('loopback');
    expect(urlVerdict('http://127.0.0.1:8080/', policy({ production: true }))).toBe('loopback');
    expect(urlVerdict('http://inventory:4001/', policy({ production: true }))).toBe('allowed');
    expect(urlVerdict('http://127.0.0.1:8080/', policy({ production: true, allow: '127.0.0.1:8080' }))).toBe('allowed');
    expect(urlVerdict('http://127.0.0.1:8081/', policy({ production: true, allow: '127.0.0.1:8080' }))).toBe('not-allowed');
    expect(urlVerdict('http://localhost:8080/', policy({ production: true, allow: 'localhost' }))).toBe('allowed');
  });

  describe('with PARTICIPANT_ALLOW', () => {
    const p = policy({ allow: '*.svc.cluster.local, inventory:4001, 10.0.0.0/8, [fd00::/8]:8443, 192.168.1.7' });

    it.each([
      ['http://orders.svc.cluster.local/x', 'allowed'],
      ['http://a.b.svc.cluster.local:9000/', 'allowed'],
      ['http://ORDERS.SVC.CLUSTER.LOCAL./', 'allowed'],
      ['http://svc.cluster.local/', 'not-allowed'],
      ['http://evilsvc.cluster.local/', 'not-allowed'],
      ['http://inventory:4001/reserve', 'allowed'],
      ['http://inventory:4002/reserve', 'not-allowed'],
      ['http://inventory/reserve', 'not-allowed'],
      ['http://10.1.2.3/', 'allowed'],
      ['http://167772161/', 'allowed'],
      ['http://11.0.0.1/', 'not-allowed'],
      ['http://[fd12::1]:8443/', 'allowed'],
      ['http://[fd12::1]:8444/', 'not-allowed'],
      ['http://192.168.1.7/', 'allowed'],
      ['http://192.168.1.8/', 'not-allowed'],
      ['http://example.com/', 'not-allowed'],
    ])('%s: %s', (url, verdict) => {
      expect(urlVerdict(url, p)).toBe(verdict);
    });
  });

  describe('naming a refused target explicitly', () => {
    it.each([
      ['169.254.169.254', 'http://169.254.169.254/latest/meta-data/', 'allowed'],
      ['169.254.0.0/16', 'http://2852039166/', 'allowed'],
      ['[::ffff:169.254.169.254]', 'http://169.254.169.254/', 'allowed'],
      ['metadata.google.internal', 'http://metadata.google.internal/computeMetadata/v1/', 'allowed'],
      ['0.0.0.0:6379', 'http://0.0.0.0:6379/', 'allowed'],
      ['[::]', 'http://[::]/', 'allowed'],
      ['[fe80::1]', 'http://[fe80::1]/', 'allowed'],
      ['127.0.0.1:3000', 'http://127.0.0.1:3000/v1/admin/audit', 'allowed'],
      ['localhost:3000', 'http://localhost:3000/v1/admin/audit', 'allowed'],
      ['10.20.30.40:3000', 'http://10.20.30.40:3000/', 'allowed'],
    ])('PARTICIPANT_ALLOW=%s lets %s through', (entries, url, verdict) => {
      expect(urlVerdict(url, policy({ allow: entries }))).toBe(verdict);
    });

    it.each([
      ['0.0.0.0/0', 'http://169.254.169.254/', 'link-local'],
      ['169.0.0.0/8', 'http://169.254.169.254/', 'link-local'],
      ['::/0', 'http://[fe80::1]/', 'link-local'],
      ['*.google.internal', 'http://metadata.google.internal/', 'metadata'],
      ['0.0.0.0/0', 'http://0.0.0.0/', 'unspecified'],
      ['127.0.0.1', 'http://127.0.0.1:3000/', 'self'],
      ['127.0.0.0/8:3000', 'http://127.0.0.1:3000/', 'allowed'],
      ['0.0.0.0/0:3000', 'http://127.0.0.1:3000/', 'self'],
      ['localhost', 'http://localhost:3000/', 'self'],
      ['*.localhost:3000', 'http://api.localhost:3000/', 'self'],
    ])('a wide entry (%s) does not open %s (%s)', (entries, url, verdict) => {
      expect(urlVerdict(url, policy({ allow: entries }))).toBe(verdict);
    });
  });
});

describe(checkResolvedAddress.name, () => {
  it('checks what a name resolved to: a rebinding to a refused address is refused', () => {
    const p = policy();
    expect(verdictOf(checkResolvedAddress('rebind.example', '93.184.216.34', 80, p))).toBe('allowed');
    expect(verdictOf(checkResolvedAddress('rebind.example', '169.254.169.254', 80, p))).toBe('link-local');
    expect(verdictOf(checkResolvedAddress('rebind.example', '::ffff:169.254.169.254', 80, p))).toBe('link-local');
    expect(verdictOf(checkResolvedAddress('rebind.example', 'fe80::1', 80, p))).toBe('link-local');
    expect(verdictOf(checkResolvedAddress('rebind.example', '0.0.0.0', 80, p))).toBe('unspecified');
    expect(verdictOf(checkResolvedAddress('rebind.example', '127.0.0.1', 3000, p))).toBe('self');
    expect(verdictOf(checkResolvedAddress('rebind.example', SELF_ADDRESS, 3000, p))).toBe('self');
    expect(verdictOf(checkResolvedAddress('rebind.example', '127.0.0.1', 6379, p))).toBe('allowed');
    expect(verdictOf(checkResolvedAddress('rebind.example', '127.0.0.1', 6379, policy({ production: true })))).toBe('loopback');
    expect(checkResolvedAddress('rebind.example', '169.254.169.254', 80, p)).toMatchObject({
      reason: expect.stringContaining('rebind.example (169.254.169.254)'),
    });
  });

  it('lets an allowed name reach ordinary addresses, but a wildcard never opens refused ones', () => {
    const p = policy({ allow: '*.corp', production: true });
    expect(verdictOf(checkResolvedAddress('db.corp', '10.1.2.3', 5432, p))).toBe('allowed');
    expect(verdictOf(checkResolvedAddress('db.corp', '169.254.169.254', 80, p))).toBe('link-local');
    expect(verdictOf(checkResolvedAddress('db.corp', '127.0.0.1', 80, p))).toBe('loopback');
    expect(verdictOf(checkResolvedAddress('db.other', '10.1.2.3', 80, p))).toBe('not-allowed');
  });

  it('lets an exactly named host reach what it resolves to, metadata included', () => {
    const p = policy({ allow: 'metadata.google.internal,sidecar:9000', production: true });
    expect(verdictOf(checkResolvedAddress('metadata.google.internal', '169.254.169.254', 80, p))).toBe('allowed');
    expect(verdictOf(checkResolvedAddress('sidecar', '127.0.0.1', 9000, p))).toBe('allowed');
  });

  it('lets an address entry name the address a wildcard name resolved to', () => {
    const p = policy({ allow: '*.corp,169.254.169.254' });
    expect(verdictOf(checkResolvedAddress('meta.corp', '169.254.169.254', 80, p))).toBe('allowed');
    expect(verdictOf(checkResolvedAddress('meta.corp', '169.254.169.253', 80, p))).toBe('link-local');
  });

  it('checks an address the URL held itself (name null) like the URL', () => {
    expect(verdictOf(checkResolvedAddress(null, '169.254.169.254', 80, policy()))).toBe('link-local');
    expect(verdictOf(checkResolvedAddress(null, '10.1.2.3', 80, policy({ allow: '10.0.0.0/8' })))).toBe('allowed');
  });

  it('refuses what is not an address', () => {
    expect(verdictOf(checkResolvedAddress('x', 'not-an-ip', 80, policy()))).toBe('not-allowed');
  });
});
