import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** Where a participant URL points, as the URL parser understands it: this,
 * not the text of the URL, is what the coordinator connects to. */
export interface TargetHost {
  protocol: string;
  /** A host name, lower case, IDN in punycode, without a trailing dot; null for an IP address. */
  name: string | null;
  /** The IP address (IPv4-mapped IPv6 as IPv4); null for a host name. */
  address: IpAddress | null;
  port: number;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * Parses with the WHATWG URL parser, which turns every spelling of an address
 * into one canonical host: `2130706433`, `0x7f.1`, `0177.0.0.1` and
 * full-width digits become `127.0.0.1`, `ⓛocalhost` and `LOCALHOST.` become
 * `localhost`, IDNs become punycode. Null when it is not a URL.
 */
export function parseTargetUrl(url: string): TargetHost | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const port = parsed.port === '' ? (DEFAULT_PORTS[parsed.protocol] ?? 0) : Number(parsed.port);
  return { protocol: parsed.protocol, ...hostOf(parsed.hostname), port };
}

/** A host as the URL parser or a resolver gives it (IPv6 with or without brackets). */
export function hostOf(hostname: string): { name: string | null; address: IpAddress | null } {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const address = parseAddress(host);
  if (address) return { name: null, address };
  return { name: host.toLowerCase().replace(/\.$/, ''), address: null };
}

/** A canonical IPv4 (four decimal parts, as the URL parser writes it) or
 * IPv6 address; IPv4-mapped IPv6 (`::ffff:127.0.0.1`) comes back as the
 * IPv4 address it reaches. */
export function parseAddress(text: string): IpAddress | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text)) return ipaddr.process(text);
  return null;
}
