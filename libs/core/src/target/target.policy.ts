import ipaddr from 'ipaddr.js';
import type { AllowEntry } from './allow-list';
import { parseAddress, parseTargetUrl, type IpAddress } from './target-host';

/**
 * Which participant targets the coordinator may call (the contract's "Safe
 * targets"). Pure: the caller supplies what only I/O can know (the
 * coordinator's own port and addresses, and at call time what a host name
 * resolved to).
 */
export interface TargetPolicy {
  /** `PARTICIPANT_ALLOW`; null when unset (everything but the refused classes). */
  allow: readonly AllowEntry[] | null;
  /** Loopback is refused unless allowed (`NODE_ENV=production`). */
  refuseLoopback: boolean;
  /** The coordinator's own HTTP port(s): refused on loopback and on its own addresses. */
  selfPorts: readonly number[];
  /** The coordinator's own addresses besides loopback (its interfaces). */
  selfAddresses: readonly IpAddress[];
}

/** Why a target is refused. Every rule but `scheme` and `not-allowed` is
 * lifted only by an entry of PARTICIPANT_ALLOW that names the target
 * explicitly (see `covers`). */
export type TargetRule = 'scheme' | 'not-allowed' | 'link-local' | 'unspecified' | 'metadata' | 'self' | 'loopback';

export type TargetVerdict = { ok: true } | { ok: false; rule: TargetRule; reason: string };

const OK: TargetVerdict = { ok: true };
const METADATA_NAME = 'metadata.google.internal';

const RANGES = {
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  unspecified: ['0.0.0.0/8', '::/128'],
  loopback: ['127.0.0.0/8', '::1/128'],
} as const;
const PARSED_RANGES = Object.fromEntries(
  Object.entries(RANGES).map(([rule, cidrs]) => [rule, cidrs.map((cidr) => ipaddr.parseCIDR(cidr))]),
) as Record<keyof typeof RANGES, [IpAddress, number][]>;

export function targetPolicy(options: {
  allow: readonly AllowEntry[] | null;
  refuseLoopback: boolean;
  selfPorts?: readonly number[];
  selfAddresses?: readonly string[];
}): TargetPolicy {
  const selfAddresses = (options.selfAddresses ?? []).map(parseAddress).filter((a): a is IpAddress => a !== null);
  return { allow: options.allow, refuseLoopback: options.refuseLoopback, selfPorts: options.selfPorts ?? [], selfAddresses };
}

/** The check of a URL as written: at registration, at start for an inline
 * spec, and before every call (the policy may have changed since). A host
 * name passes here on its name; what it resolves to is checked by
 * `checkResolvedAddress` when the call connects. */
export function checkTargetUrl(url: string, policy: TargetPolicy): TargetVerdict {
  const target = parseTargetUrl(url);
  if (!target) return { ok: false, rule: 'scheme', reason: 'not an absolute URL' };
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return { ok: false, rule: 'scheme', reason: `only http: and https: targets are allowed, not ${target.protocol}` };
  }
  return judge(target.name, target.address, target.port, policy);
}

/** The check of a TCP participant's `host` and `port` as written, by the
 * same rules as a URL's host (the URL parser canonicalises the host). */
export function checkTargetHost(host: string, port: number, policy: TargetPolicy): TargetVerdict {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const verdict = checkTargetUrl(`http://${bare.includes(':') ? `[${bare}]` : bare}:${port}/`, policy);
  return verdict.ok || verdict.rule !== 'scheme' ? verdict : { ok: false, rule: 'not-allowed', reason: `"${host}" is not a host` };
}

/** The check of one address a host name resolved to, when the call connects
 * (so a name that rebinds to a refused address is not called). `name` is the
 * URL's host, null when the URL held the address itself. */
export function checkResolvedAddress(name: string | null, address: string, port: number, policy: TargetPolicy): TargetVerdict {
  const parsed = parseAddress(address);
  if (!parsed) return { ok: false, rule: 'not-allowed', reason: `"${address}" is not an IP address` };
  return judge(name, parsed, port, policy);
}

function judge(name: string | null, address: IpAddress | null, port: number, policy: TargetPolicy): TargetVerdict {
  const shown = name === null ? show(address!) : address ? `${name} (${show(address)})` : name;
  const loopback = (address !== null && inRanges(address, 'loopback')) || (name !== null && isLocalhostName(name));
  const refused: TargetRule[] = [];
  if (address && inRanges(address, 'link-local')) refused.push('link-local');
  if (address && inRanges(address, 'unspecified')) refused.push('unspecified');
  if (name === METADATA_NAME) refused.push('metadata');
  const ownAddress = loopback || (address !== null && policy.selfAddresses.some((a) => sameAddress(a, address)));
  if (ownAddress && policy.selfPorts.includes(port)) refused.push('self');
  if (loopback && policy.refuseLoopback) refused.push('loopback');

  const matching = (policy.allow ?? []).filter((entry) => matches(entry, name, address, port));
  // A URL with a host name is allowed by a name entry, one with an address by
  // an address entry, whatever the name resolves to.
  const allowed = matching.some((entry) => (name === null ? entry.kind === 'range' : entry.kind === 'name'));
  if (policy.allow && !allowed) return refuse('not-allowed', `${shown} is not in PARTICIPANT_ALLOW`);
  for (const rule of refused) {
    if (!matching.some((entry) => covers(entry, rule, port, policy))) return refuse(rule, reasonFor(rule, shown, port));
  }
  return OK;
}

function matches(entry: AllowEntry, name: string | null, address: IpAddress | null, port: number): boolean {
  if (entry.port !== null && entry.port !== port) return false;
  if (entry.kind === 'name') return name !== null && (entry.wildcard ? name.endsWith(`.${entry.name}`) : name === entry.name);
  return address !== null && address.kind() === entry.network.kind() && address.match(entry.network, entry.prefix);
}

/**
 * Whether a matching entry names the target explicitly enough to lift a
 * refusal: a wildcard or a wide range (`*.corp`, `0.0.0.0/0`) must not open
 * the metadata service or the coordinator itself by accident. An exact host
 * name does (the operator wrote that name); an address entry does when it
 * lies inside the refused range; the coordinator's own port needs the port
 * written too. Loopback in production is lifted by any matching entry.
 */
function covers(entry: AllowEntry, rule: TargetRule, port: number, policy: TargetPolicy): boolean {
  if (entry.kind === 'name') return !entry.wildcard && (rule !== 'self' || entry.port === port);
  switch (rule) {
    case 'link-local':
    case 'unspecified':
      return within(entry, PARSED_RANGES[rule]);
    case 'loopback':
      return true;
    case 'self':
      return (
        entry.port === port &&
        (within(entry, PARSED_RANGES.loopback) || policy.selfAddresses.some((a) => within(entry, [[a, a.kind() === 'ipv4' ? 32 : 128]])))
      );
    case 'metadata':
    case 'scheme':
    case 'not-allowed':
      return false;
  }
}

function within(entry: AllowEntry & { kind: 'range' }, ranges: [IpAddress, number][]): boolean {
  return ranges.some(
    ([network, prefix]) => entry.network.kind() === network.kind() && entry.prefix >= prefix && entry.network.match(network, prefix),
  );
}

function inRanges(address: IpAddress, rule: keyof typeof RANGES): boolean {
  return PARSED_RANGES[rule].some(([network, prefix]) => address.kind() === network.kind() && address.match(network, prefix));
}

/** `localhost` and names below it resolve to loopback (RFC 6761). */
function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString();
}

function show(address: IpAddress): string {
  return address.kind() === 'ipv6' ? `[${address.toString()}]` : address.toString();
}

function refuse(rule: TargetRule, reason: string): TargetVerdict {
  return { ok: false, rule, reason };
}

const EXPLICIT = 'allowed only when PARTICIPANT_ALLOW names it explicitly';

function reasonFor(rule: TargetRule, shown: string, port: number): string {
  switch (rule) {
    case 'link-local':
      return `${shown} is a link-local address, where cloud metadata services live; ${EXPLICIT}`;
    case 'unspecified':
      return `${shown} is an unspecified address (0.0.0.0 or ::); ${EXPLICIT}`;
    case 'metadata':
      return `${shown} is the cloud metadata service; ${EXPLICIT}`;
    case 'self':
      return `port ${port} of ${shown} is the coordinator itself; ${EXPLICIT} with its port`;
    case 'loopback':
      return `${shown} is a loopback address, refused in production unless PARTICIPANT_ALLOW allows it`;
    case 'scheme':
    case 'not-allowed':
      return `${shown} is refused`;
  }
}
