/**
 * The sixteen dangerous step URLs of issue 8, with what the contract says of
 * each: the unit test of the policy and the end-to-end test against the
 * coordinator both run this table. `{self}` is the coordinator's own port.
 *
 * Verdicts, in three settings:
 * - `dev`: PARTICIPANT_ALLOW unset, NODE_ENV not production;
 * - `production`: PARTICIPANT_ALLOW unset, NODE_ENV=production;
 * - `allowOther`: PARTICIPANT_ALLOW set to entries that name none of them.
 * The rule is the one the refusal reports (`allowed` when there is none).
 */
import type { TargetRule } from '../src/target/target.policy';

export type Verdict = 'allowed' | TargetRule;

export interface DangerousUrl {
  url: string;
  what: string;
  dev: Verdict;
  production: Verdict;
  allowOther: Verdict;
}

/** Names none of the URLs below. */
export const ALLOW_OTHER = '*.svc.cluster.local,10.0.0.0/8,[fd00::/8]:8443';

export const DANGEROUS_URLS: DangerousUrl[] = [
  { url: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/', what: 'AWS metadata', dev: 'link-local', production: 'link-local', allowOther: 'not-allowed' },
  { url: 'http://127.0.0.1:6379/', what: 'local Redis', dev: 'allowed', production: 'loopback', allowOther: 'not-allowed' },
  { url: 'http://[::1]:5432/', what: 'local Postgres over IPv6', dev: 'allowed', production: 'loopback', allowOther: 'not-allowed' },
  { url: 'http://127.0.0.1:{self}/v1/admin/api-keys', what: "the coordinator's own admin API", dev: 'self', production: 'self', allowOther: 'not-allowed' },
  { url: 'http://2130706433:6379/', what: '127.0.0.1 in decimal', dev: 'allowed', production: 'loopback', allowOther: 'not-allowed' },
  { url: 'http://0x7f.1/', what: '127.0.0.1 in hex, short form', dev: 'allowed', production: 'loopback', allowOther: 'not-allowed' },
  { url: 'http://[::ffff:127.0.0.1]/', what: '127.0.0.1 as IPv4-mapped IPv6', dev: 'allowed', production: 'loopback', allowOther: 'not-allowed' },
  { url: 'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token', what: 'GCP metadata', dev: 'metadata', production: 'metadata', allowOther: 'not-allowed' },
  { url: 'http://ⓛⓞⓒⓐⓛⓗⓞⓢⓣ:{self}/v1/admin/transactions/retry', what: 'localhost in enclosed letters (IDN), own port', dev: 'self', production: 'self', allowOther: 'not-allowed' },
  { url: 'http://[::ffff:169.254.169.254]/latest/meta-data/', what: 'metadata as IPv4-mapped IPv6', dev: 'link-local', production: 'link-local', allowOther: 'not-allowed' },
  { url: 'http://2852039166/latest/meta-data/', what: '169.254.169.254 in decimal', dev: 'link-local', production: 'link-local', allowOther: 'not-allowed' },
  { url: 'http://0xa9.0376.43518/latest/meta-data/', what: '169.254.169.254 in hex, octal and short form', dev: 'link-local', production: 'link-local', allowOther: 'not-allowed' },
  { url: 'http://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/', what: 'GCP metadata, upper case with a trailing dot', dev: 'metadata', production: 'metadata', allowOther: 'not-allowed' },
  { url: 'http://0.0.0.0:6379/', what: 'the unspecified IPv4 address (reaches local services)', dev: 'unspecified', production: 'unspecified', allowOther: 'not-allowed' },
  { url: 'http://[::]:5432/', what: 'the unspecified IPv6 address', dev: 'unspecified', production: 'unspecified', allowOther: 'not-allowed' },
  { url: 'gopher://127.0.0.1:6379/_FLUSHALL', what: 'a non-HTTP scheme', dev: 'scheme', production: 'scheme', allowOther: 'scheme' },
];

export const withSelf = (url: string, port: number): string => url.replace('{self}', String(port));
