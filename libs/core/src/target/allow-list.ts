import { hostOf, parseAddress, type IpAddress } from './target-host';

/** One entry of `PARTICIPANT_ALLOW`. A null `port` allows every port. */
export type AllowEntry =
  /** `inventory.internal`, or `*.svc.cluster.local` (any name below it, not the name itself). */
  | { kind: 'name'; name: string; wildcard: boolean; port: number | null; text: string }
  /** `10.1.2.3`, `10.0.0.0/8`, `[fd00::1]`, `[fd00::/8]:443`. */
  | { kind: 'range'; network: IpAddress; prefix: number; port: number | null; text: string };

export type AllowListParse = { ok: true; entries: AllowEntry[] } | { ok: false; entry: string; message: string };

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);

/**
 * Parses `PARTICIPANT_ALLOW`: comma-separated host names (optionally `*.`),
 * IP addresses or CIDR ranges, each with an optional `:port` (IPv6 in
 * brackets when a port follows). Host names go through the URL parser, so
 * the allow list and the URLs it is compared with are spelled the same way.
 * Empty items are ignored.
 */
export function parseAllowList(text: string): AllowListParse {
  const entries: AllowEntry[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const entry = parseEntry(item);
    if (typeof entry === 'string') return { ok: false, entry: item, message: entry };
    entries.push(entry);
  }
  return { ok: true, entries };
}

/** The entry, or why it is not one. */
function parseEntry(text: string): AllowEntry | string {
  if (text.includes('://')) return 'write a host, not a URL';
  const split = splitPort(text);
  if (typeof split === 'string') return split;
  const { host, port } = split;
  if (text.startsWith('[') && !host.includes(':')) return 'brackets hold an IPv6 address or range';
  if (host.includes('/')) {
    const slash = host.indexOf('/');
    const [address, bits] = [host.slice(0, slash), host.slice(slash + 1)];
    const network = parseAddress(address);
    const max = network?.kind() === 'ipv4' ? 32 : 128;
    if (!network || !/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) return 'not a CIDR range';
    return { kind: 'range', network, prefix: Number(bits), port, text };
  }
  const address = parseAddress(host);
  if (address) return { kind: 'range', network: address, prefix: address.kind() === 'ipv4' ? 32 : 128, port, text };
  const wildcard = host.startsWith('*.');
  const canonical = canonicalName(wildcard ? host.slice(2) : host);
  if (canonical === null) return 'not a host name, IP address or CIDR range';
  if (typeof canonical !== 'string') {
    if (wildcard) return 'a wildcard goes with a host name, not an IP address';
    return { kind: 'range', network: canonical, prefix: canonical.kind() === 'ipv4' ? 32 : 128, port, text };
  }
  return { kind: 'name', name: canonical, wildcard, port, text };
}

function splitPort(text: string): { host: string; port: number | null } | string {
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(text);
  if (bracketed) return withPort(bracketed[1], bracketed[2]);
  // More than one colon and no brackets: an IPv6 address or range, without a port.
  if (text.indexOf(':') !== text.lastIndexOf(':')) return { host: text, port: null };
  const colon = text.indexOf(':');
  return colon < 0 ? { host: text, port: null } : withPort(text.slice(0, colon), text.slice(colon + 1));
}

function withPort(host: string, port: string | undefined): { host: string; port: number | null } | string {
  if (port === undefined) return { host, port: null };
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return 'the port must be 1-65535';
  return { host, port: Number(port) };
}

/** The name as the URL parser writes it (lower case, punycode, no trailing
 * dot), or the address when the parser reads it as one (`0x7f.1`). */
function canonicalName(host: string): string | IpAddress | null {
  if (host === '' || /[/?#@\s[\]]/.test(host)) return null;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
  const parsed = hostOf(hostname);
  if (parsed.address) return parsed.address;
  return parsed.name !== null && HOST_NAME.test(parsed.name) ? parsed.name : null;
}
