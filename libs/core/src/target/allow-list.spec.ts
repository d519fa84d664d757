import { parseAllowList } from './allow-list';

const describeEntries = (text: string) => {
  const parsed = parseAllowList(text);
  if (!parsed.ok) throw new Error(`${parsed.entry}: ${parsed.message}`);
  return parsed.entries.map((e) =>
    e.kind === 'name'
      ? { name: e.name, wildcard: e.wildcard, port: e.port }
      : { network: e.network.toString(), prefix: e.prefix, port: e.port },
  );
};

describe(parseAllowList.name, () => {
  it('reads host names, wildcards, addresses and CIDR ranges, each with an optional port', () => {
    expect(describeEntries(' inventory , *.svc.cluster.local:8443,10.0.0.0/8, 10.1.2.3:80, [fd00::/8]:443, fd00::1, [::1]:5432,,')).toEqual([
      { name: 'inventory', wildcard: false, port: null },
      { name: 'svc.cluster.local', wildcard: true, port: 8443 },
      { network: '10.0.0.0', prefix: 8, port: null },
      { network: '10.1.2.3', prefix: 32, port: 80 },
      { network: 'fd00::', prefix: 8, port: 443 },
      { network: 'fd00::1', prefix: 128, port: null },
      { network: '::1', prefix: 128, port: 5432 },
    ]);
  });

  it('spells names as the URL parser does, and reads odd spellings of addresses as the addresses', () => {
    expect(describeEntries('Inventory.Example.,ⓛⓞⓒⓐⓛⓗⓞⓢⓣ,bücher.example,0x7f.1,[::ffff:169.254.169.254]')).toEqual([
      { name: 'inventory.example', wildcard: false, port: null },
      { name: 'localhost', wildcard: false, port: null },
      { name: 'xn--bcher-kva.example', wildcard: false, port: null },
      { network: '127.0.0.1', prefix: 32, port: null },
      { network: '169.254.169.254', prefix: 32, port: null },
    ]);
  });

  it.each([
    ['inventory:0', 'the port must be 1-65535'],
    ['inventory:65536', 'the port must be 1-65535'],
    ['inventory:http', 'the port must be 1-65535'],
    ['10.0.0.0/33', 'not a CIDR range'],
    ['10.0.0.0/x', 'not a CIDR range'],
    ['example.com/8', 'not a CIDR range'],
    ['*.10.0.0.1', 'a wildcard goes with a host name, not an IP address'],
    ['http://inventory', 'write a host, not a URL'],
    ['inventory/path', 'not a CIDR range'],
    ['user@inventory', 'not a host name, IP address or CIDR range'],
    ['in ventory', 'not a host name, IP address or CIDR range'],
    ['*', 'not a host name, IP address or CIDR range'],
    ['a!b', 'not a host name, IP address or CIDR range'],
    ['[inventory]:80', 'brackets hold an IPv6 address or range'],
    ['[10.0.0.1]', 'brackets hold an IPv6 address or range'],
    ['[fd00::zz]', 'not a host name, IP address or CIDR range'],
  ])('refuses %s: %s', (entry, message) => {
    expect(parseAllowList(`ok.example,${entry}`)).toEqual({ ok: false, entry, message });
  });
});
