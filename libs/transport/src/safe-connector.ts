import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { buildConnector } from 'undici';
import { checkResolvedAddress, checkTargetUrl, hostOf, parseTargetUrl, type TargetPolicy, type TargetVerdict } from '@accord/core';

/** A connection refused by the safe-target policy: nothing was sent. */
export class ForbiddenTargetError extends Error {
  readonly code = 'ACCORD_FORBIDDEN_TARGET';

  constructor(readonly reason: string) {
    super(`forbidden target: ${reason}`);
  }
}

/** Resolves a host name to every address it has (dns.lookup by default;
 * tests give their own to play DNS rebinding). */
export type Resolver = (hostname: string, options: { family?: number; hints?: number }) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname, options) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * undici's connector with the safe-target check where the address is chosen:
 * net/tls.connect call our `lookup` for a host name, and connect to exactly
 * the addresses it returns, so the addresses checked are the addresses
 * connected to (a name that rebinds between the check and the connect
 * cannot slip through). Every address of a name is checked: one refused
 * address refuses the call. An IP address in the URL skips `lookup` in
 * Node, so it is checked here before connecting.
 *
 * The port takes part in the check (the coordinator's own port), and
 * `lookup` does not receive it: one undici connector per port.
 */
export function safeConnector(
  policy: TargetPolicy,
  options: { resolve?: Resolver; connectTimeoutMs?: number } = {},
): buildConnector.connector {
  const resolve = options.resolve ?? systemResolver;
  const byPort = new Map<number, buildConnector.connector>();
  return (connect, callback) => {
    const port = Number(connect.port) || (connect.protocol === 'https:' ? 443 : 80);
    if (isIP(connect.hostname)) {
      const verdict = checkResolvedAddress(null, connect.hostname, port, policy);
      if (!verdict.ok) return callback(new ForbiddenTargetError(verdict.reason), null);
    }
    let connector = byPort.get(port);
    if (!connector) {
      connector = buildConnector({ timeout: options.connectTimeoutMs, lookup: checkedLookup(port, policy, resolve) });
      byPort.set(port, connector);
    }
    connector(connect, callback);
  };
}

function checkedLookup(port: number, policy: TargetPolicy, resolve: Resolver) {
  return (hostname: string, lookupOptions: LookupOptions, callback: LookupCallback): void => {
    const { family, hints } = lookupOptions;
    resolve(hostname, { family: typeof family === 'number' ? family : undefined, hints }).then(
      (addresses) => {
        const refused = refusedAddress(hostOf(hostname).name, addresses, port, policy);
        if (refused) return callback(new ForbiddenTargetError(refused.reason), '', 0);
        if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
        if (lookupOptions.all) return callback(null, addresses);
        callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/**
 * The whole check of a URL the coordinator is about to rely on, such as
 * `STUCK_WEBHOOK_URL` at start-up: as written, then every address its host
 * resolves to now. (Calls through an Agent with `safeConnector` are checked
 * again when they connect.) Rejects when the name does not resolve.
 */
export async function checkTarget(url: string, policy: TargetPolicy, resolve: Resolver = systemResolver): Promise<TargetVerdict> {
  const verdict = checkTargetUrl(url, policy);
  const target = parseTargetUrl(url);
  if (!verdict.ok || !target || target.name === null) return verdict;
  return refusedAddress(target.name, await resolve(target.name, {}), target.port, policy) ?? verdict;
}

/** The first of the addresses `name` resolved to that the policy refuses, or
 * null: one refused address refuses the whole name (DNS may hand out any). */
export function refusedAddress(
  name: string | null,
  addresses: readonly LookupAddress[],
  port: number,
  policy: TargetPolicy,
): Extract<TargetVerdict, { ok: false }> | null {
  for (const { address } of addresses) {
    const verdict = checkResolvedAddress(name, address, port, policy);
    if (!verdict.ok) return verdict;
  }
  return null;
}

/** This machine's interface addresses: a call to one of them on the
 * coordinator's own port would reach the coordinator itself. */
export function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}
