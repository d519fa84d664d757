/**
 * deploy/docker-compose.yml read as the YAML it is. No Docker engine runs on
 * this machine, so the stack is not started here: what is checked is its
 * structure — the services, who waits for whom and on what, the healthchecks
 * those waits need, the ADMIN_TOKEN guard, one published port in front of
 * both replicas, the migration step, and the observability profile with the
 * files it mounts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; target?: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: string[];
  profiles?: string[];
  restart?: string;
  volumes?: string[];
  configs?: { source: string; target: string }[];
}
interface Compose {
  services: Record<string, Service>;
  configs: Record<string, { content: string }>;
}

const text = readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8');
// `merge: true`: the file's `<<:` keys are YAML merge keys, as compose reads them.
const compose = parse(text, { merge: true }) as Compose;
const services = compose.services;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const inProfile = (name: string) => (services[name].profiles ?? []).length > 0;
const coordinators = Object.keys(services).filter((name) => /^coordinator-\d+$/.test(name));
const SHOP = ['orders', 'inventory', 'payments'];
/** The shop services the coordinators call over HTTP; inventory is called over NATS. */
const SHOP_HTTP = ['orders', 'payments'];

describe('deploy/docker-compose.yml', () => {
  it('runs Postgres, Redis, NATS, a migration step, two coordinators behind a proxy, and the demo shop', () => {
    const always = Object.keys(services).filter((name) => !inProfile(name));
    expect(always.sort()).toEqual(
      ['postgres', 'redis', 'nats', 'migrate', 'coordinator-1', 'coordinator-2', 'proxy', ...SHOP].sort(),
    );
    expect(coordinators).toHaveLength(2);
  });

  it('gives each shop service its own database, and lets the coordinators call exactly the shop\'s HTTP services', () => {
    const created = [...compose.configs['shop-databases'].content.matchAll(/CREATE DATABASE (\w+);/g)].map((m) => m[1]);
    const used = SHOP.map((name) => new URL(services[name].environment!.DATABASE_URL).pathname.slice(1));
    expect(used.sort()).toEqual(created.sort());
    expect(new Set(used).size).toBe(SHOP.length);
    for (const name of SHOP) expect(services[name].build?.target).toBe('demo');
    const endpoints = SHOP_HTTP.map((name) => new URL(services.orders.environment![`${name.toUpperCase()}_URL`]));
    expect(endpoints.map((url) => `${url.hostname}:${url.port}`)).toEqual(SHOP_HTTP.map((name) => `${name}:${services[name].environment!.PORT}`));
    const allowed = /^\$\{PARTICIPANT_ALLOW:-(.+)\}$/.exec(services['coordinator-1'].environment!.PARTICIPANT_ALLOW)?.[1];
    expect(allowed?.split(',').sort()).toEqual(endpoints.map((url) => url.host).sort());
  });

  it('has inventory take its calls on the coordinators\' NATS, once that is healthy', () => {
    const natsUrl = services['coordinator-1'].environment!.NATS_URL;
    expect(new URL(natsUrl).hostname).toBe('nats');
    for (const name of coordinators) expect(services[name].environment?.NATS_URL).toBe(natsUrl);
    expect(services.inventory.environment?.NATS_URL).toBe(natsUrl);
    expect(services.inventory.depends_on?.nats).toEqual({ condition: 'service_healthy' });
    expect(services.orders.environment).not.toHaveProperty('INVENTORY_URL');
  });

  it('refuses to start without an ADMIN_TOKEN, and has no default for it anywhere', () => {
    for (const name of [...coordinators, 'migrate']) {
      expect(services[name].environment?.ADMIN_TOKEN).toMatch(/^\$\{ADMIN_TOKEN:\?[^}]+\}$/);
    }
    expect(text).not.toMatch(/\$\{ADMIN_TOKEN:?-/);
  });

  it('publishes the coordinators on one port, the proxy\'s, which sends to every one of them', () => {
    const publishing = Object.keys(services).filter((name) => !inProfile(name) && services[name].ports);
    // The shop's front (orders) is the other published port.
    expect(publishing.sort()).toEqual(['orders', 'proxy']);
    const proxyConfig = compose.configs[services.proxy.configs![0].source].content;
    const upstreams = [...proxyConfig.matchAll(/server ([a-z0-9-]+):3000\b/g)].map((m) => m[1]);
    expect(upstreams.sort()).toEqual(coordinators.sort());
  });

  it('migrates once with the command `npm run migrate` runs, before any coordinator starts', () => {
    expect(services.migrate.command!.join(' ')).toBe(pkg.scripts.migrate);
    expect(services.migrate.restart).toBe('no');
    for (const name of coordinators) {
      expect(services[name].depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
      // The image's own command: the one `npm start` runs (image.spec.ts).
      expect(services[name].command).toBeUndefined();
      expect(services[name].build?.target).toBe('runtime');
    }
  });

  it('gives every service that is waited on as healthy a healthcheck, and runs one-shot steps once', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect({ name, target, known: target in services }).toEqual({ name, target, known: true });
        if (condition === 'service_healthy') {
          expect({ target, healthcheck: services[target].healthcheck?.test?.[0] }).toEqual({ target, healthcheck: expect.stringMatching(/^CMD/) });
        } else {
          expect({ target, condition, restart: services[target].restart }).toEqual({ target, condition: 'service_completed_successfully', restart: 'no' });
        }
        // Nothing outside a profile waits on something inside one.
        if (!inProfile(name)) expect({ name, target, inProfile: inProfile(target) }).toEqual({ name, target, inProfile: false });
      }
    }
  });

  it('offers the observability stack as a profile, mounting files that exist', () => {
    const observability = Object.keys(services).filter((name) => services[name].profiles?.includes('observability'));
    expect(observability.sort()).toEqual(['grafana', 'jaeger', 'prometheus']);
    const mounts = Object.values(services).flatMap((service) => service.volumes ?? []).filter((volume) => volume.startsWith('./'));
    for (const mount of mounts) expect({ mount, exists: existsSync(join(DEPLOY, mount.split(':')[0])) }).toEqual({ mount, exists: true });
    // Prometheus loads every deploy/prometheus/*.yml as a rules file.
    const rulesDir = join(DEPLOY, 'prometheus');
    for (const file of readdirSync(rulesDir).filter((name) => name.endsWith('.yml'))) {
      expect({ file, groups: Array.isArray((parse(readFileSync(join(rulesDir, file), 'utf8')) as { groups?: unknown }).groups) }).toEqual({ file, groups: true });
    }
    // Grafana's data sources are the profile's own services.
    const { datasources } = parse(readFileSync(join(DEPLOY, 'grafana/provisioning/datasources/accord.yml'), 'utf8')) as { datasources: { url: string }[] };
    for (const { url } of datasources) expect(observability).toContain(new URL(url).hostname);
    const scrape = parse(compose.configs.prometheus.content) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    expect(scrape.scrape_configs.flatMap((job) => job.static_configs.flatMap((c) => c.targets)).sort()).toEqual(coordinators.map((name) => `${name}:3000`).sort());
  });
});
