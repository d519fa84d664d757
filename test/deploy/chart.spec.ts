/**
 * The Helm chart, as far as this machine can check it. There is no Helm
 * binary here, and no faithful renderer of Helm's templates (Go templates
 * with Sprig, `include`, `required`, `toYaml`) on npm, so the templates are
 * not rendered: every manifest of the chart takes its names and labels from
 * the release, so none needs no templating and none is validated as
 * Kubernetes YAML. What is checked: the values (the chart's own and a few
 * bad ones) against values.schema.json with ajv, every `.Values` path a
 * template reads against values.yaml, every `include` against the helpers,
 * each template's kind, and the security settings the Deployment must keep.
 * Not checked: the rendered output (`helm template`), its validity against
 * the Kubernetes API (`kubeconform`), `helm lint`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { valid as validSemver } from 'semver';
import { parse } from 'yaml';

const ROOT = resolve(__dirname, '../..');
const CHART = join(ROOT, 'deploy/helm/accord');
const TEMPLATES = join(CHART, 'templates');

type Values = Record<string, unknown>;

const readYaml = (path: string): Values => parse(readFileSync(path, 'utf8')) as Values;
const defaults = (): Values => readYaml(join(CHART, 'values.yaml'));
const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

/** The chart's defaults with `path` (dot-separated) set to `value`. */
function withValue(path: string, value: unknown, values = defaults()): Values {
  const keys = path.split('.');
  let node = values;
  for (const key of keys.slice(0, -1)) node = node[key] as Values;
  node[keys.at(-1)!] = value;
  return values;
}

function errorsOf(values: Values): string[] {
  return validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

const templateFiles = () => readdirSync(TEMPLATES).filter((name) => name.endsWith('.yaml'));
const templateText = (name: string) => readFileSync(join(TEMPLATES, name), 'utf8');

describe('the Helm chart', () => {
  it('names its version as semver and the app version as package.json does', () => {
    const chart = readYaml(join(CHART, 'Chart.yaml'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(validSemver(chart.version as string)).not.toBeNull();
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('accepts its own values, with credentials, and with every optional part turned on', () => {
    expect(errorsOf(defaults())).toEqual([]);
    const full = defaults();
    withValue('secret', { databaseUrl: 'postgres://accord:pw@pg:5432/accord', adminToken: 'a'.repeat(32), signingSecret: 's'.repeat(16) }, full);
    withValue('autoscaling.enabled', true, full);
    withValue('serviceMonitor', { enabled: true, interval: '15s', labels: { release: 'prom' } }, full);
    withValue('networkPolicy', {
      enabled: true,
      allowDns: true,
      egress: [
        { to: [{ podSelector: { matchLabels: { app: 'postgres' } } }], ports: [{ port: 5432, protocol: 'TCP' }] },
        { to: [{ ipBlock: { cidr: '10.20.0.0/16' } }] },
      ],
    }, full);
    withValue('config.PARTICIPANT_ALLOW', '*.svc.cluster.local', full);
    withValue('config.NATS_URL', 'nats://nats:4222', full);
    expect(errorsOf(full)).toEqual([]);
  });

  it.each([
    ['no replicas', 'replicaCount', 0, '/replicaCount'],
    ['a misspelt top-level key', 'replicas', 3, ''],
    ['an admin token under 16 characters', 'secret.adminToken', 'short', '/secret/adminToken'],
    ['a database URL that is not Postgres', 'secret.databaseUrl', 'mysql://db/accord', '/secret/databaseUrl'],
    ['a credential among the plain settings', 'config.ADMIN_TOKEN', 'x'.repeat(20), '/config'],
    ['NODE_ENV overridden', 'config.NODE_ENV', 'development', '/config'],
    ['an unknown log level', 'config.LOG_LEVEL', 'loud', '/config/LOG_LEVEL'],
    ['a rate limit of zero', 'config.RATE_LIMIT_PER_MINUTE', '0', '/config/RATE_LIMIT_PER_MINUTE'],
    ['a port out of range', 'port', 70000, '/port'],
    ['an unknown pull policy', 'image.pullPolicy', 'Sometimes', '/image/pullPolicy'],
    ['egress that is not a list', 'networkPolicy.egress', { to: [] }, '/networkPolicy/egress'],
    ['an egress port protocol Kubernetes lacks', 'networkPolicy.egress', [{ ports: [{ port: 53, protocol: 'ICMP' }] }], '/networkPolicy/egress/0/ports/0/protocol'],
    ['a CPU target over 100 %', 'autoscaling.targetCPUUtilizationPercentage', 150, '/autoscaling/targetCPUUtilizationPercentage'],
  ])('refuses %s', (_what, path, value, at) => {
    const errors = errorsOf(withValue(path, value));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => e.startsWith(`${at} `))).toBe(true);
  });

  it('has a template for each object it offers, each of one known kind', () => {
    const kinds = Object.fromEntries(templateFiles().map((name) => [name, /^kind: (\S+)$/m.exec(templateText(name))?.[1]]));
    expect(kinds).toEqual({
      'configmap.yaml': 'ConfigMap',
      'deployment.yaml': 'Deployment',
      'hpa.yaml': 'HorizontalPodAutoscaler',
      'networkpolicy.yaml': 'NetworkPolicy',
      'pdb.yaml': 'PodDisruptionBudget',
      'secret.yaml': 'Secret',
      'service.yaml': 'Service',
      'servicemonitor.yaml': 'ServiceMonitor',
    });
  });

  it('reads only values that values.yaml defines, and includes only defined helpers', () => {
    const values = defaults();
    const helpers = readFileSync(join(TEMPLATES, '_helpers.tpl'), 'utf8');
    const defined = new Set([...helpers.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
    const sources = [...templateFiles().map(templateText), helpers];
    const missing: string[] = [];
    for (const text of sources) {
      for (const [, path] of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
        let node: unknown = values;
        for (const key of path.slice(1).split('.')) {
          node = node !== null && typeof node === 'object' && key in node ? (node as Values)[key] : undefined;
          if (node === undefined) break;
        }
        if (node === undefined) missing.push(path);
      }
      for (const [, name] of text.matchAll(/include "([^"]+)"/g)) if (!defined.has(name)) missing.push(`include ${name}`);
    }
    expect(missing).toEqual([]);
  });

  it('closes every block it opens', () => {
    for (const name of [...templateFiles(), '_helpers.tpl']) {
      const text = readFileSync(join(TEMPLATES, name), 'utf8');
      const opened = text.match(/\{\{-?\s*(if|with|range|define)\b/g)?.length ?? 0;
      const closed = text.match(/\{\{-?\s*end\s*-?\}\}/g)?.length ?? 0;
      expect({ name, closed }).toEqual({ name, closed: opened });
    }
  });

  it('runs the coordinator unprivileged, read-only, with a startup probe ahead of the others', () => {
    const deployment = templateText('deployment.yaml');
    for (const line of [
      'runAsNonRoot: true',
      'allowPrivilegeEscalation: false',
      'readOnlyRootFilesystem: true',
      'drop: ["ALL"]',
      'type: RuntimeDefault',
      'automountServiceAccountToken: false',
    ]) {
      expect(deployment).toContain(line);
    }
    expect(deployment.indexOf('startupProbe:')).toBeGreaterThan(0);
    expect(deployment.indexOf('startupProbe:')).toBeLessThan(deployment.indexOf('readinessProbe:'));
    // Replicas are the autoscaler's when it is on.
    expect(deployment).toMatch(/if not \.Values\.autoscaling\.enabled \}\}\n\s+replicas:/);
  });

  it('limits egress, not ingress, when the NetworkPolicy is on', () => {
    expect(templateText('networkpolicy.yaml')).toContain('policyTypes: ["Egress"]');
  });
});
