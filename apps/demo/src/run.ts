/**
 * `npm run demo`: the shop next to a local coordinator. Starts the
 * coordinator (dist/apps/coordinator/main.js) and the three shop services as
 * processes — a nats-server too when none answers at NATS_URL, since
 * inventory takes its calls over NATS — each service on a database of its
 * own (created when missing),
 * runs the four scenarios through the orders service, prints each outcome
 * with its console link, and keeps everything running until Ctrl-C.
 *
 * Environment: PORT (the coordinator, 3000), DATABASE_URL and REDIS_URL (as
 * `npm run local` provisions them), NATS_URL (nats://127.0.0.1:4222),
 * QUEUE_PREFIX, ADMIN_TOKEN (unset: auth
 * off), SIGNING_SECRET (unset: a random one for this run),
 * DEMO_ORDERS_PORT / DEMO_INVENTORY_PORT / DEMO_PAYMENTS_PORT (4001–4003),
 * DEMO_DATABASE_PREFIX (`shop`: databases shop_orders, shop_inventory,
 * shop_payments), DEMO_LOG_DIR (.accord/demo).
 */
import { AccordClient } from '@accord/client';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { z } from 'zod';
import { ensureNats } from './demo.nats';
import { answers2xx, DemoProcesses } from './demo.processes';
import { run, scenarios, type Outcome } from './demo.scenarios';

const ROOT = resolve(__dirname, '../../..');

const settings = z
  .object({
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres'),
    REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
    NATS_URL: z.url({ protocol: /^nats$/ }).default('nats://127.0.0.1:4222'),
    QUEUE_PREFIX: z.string().default('accord'),
    ADMIN_TOKEN: z.string().optional(),
    SIGNING_SECRET: z.string().default(() => randomBytes(24).toString('hex')),
    DEMO_ORDERS_PORT: z.coerce.number().int().default(4001),
    DEMO_INVENTORY_PORT: z.coerce.number().int().default(4002),
    DEMO_PAYMENTS_PORT: z.coerce.number().int().default(4003),
    DEMO_DATABASE_PREFIX: z.string().regex(/^[a-z0-9_]{1,48}$/).default('shop'),
    DEMO_LOG_DIR: z.string().default(join(ROOT, '.accord', 'demo')),
  })
  .parse(Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== '')));

const SERVICES = ['inventory', 'payments', 'orders'] as const;
type ServiceName = (typeof SERVICES)[number];
const PORTS: Record<ServiceName, number> = {
  orders: settings.DEMO_ORDERS_PORT,
  inventory: settings.DEMO_INVENTORY_PORT,
  payments: settings.DEMO_PAYMENTS_PORT,
};
const urlOf = (service: ServiceName) => `http://127.0.0.1:${PORTS[service]}`;
const coordinatorUrl = `http://localhost:${settings.PORT}`;

/** Each service's database on the server of DATABASE_URL, created when missing. */
async function serviceDatabases(): Promise<Record<ServiceName, string>> {
  const admin = new Client({ connectionString: settings.DATABASE_URL });
  await admin.connect();
  try {
    const urls = {} as Record<ServiceName, string>;
    for (const service of SERVICES) {
      const name = `${settings.DEMO_DATABASE_PREFIX}_${service}`;
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount === 0) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
      const url = new URL(settings.DATABASE_URL);
      url.pathname = `/${name}`;
      urls[service] = url.toString();
    }
    return urls;
  } finally {
    await admin.end();
  }
}

async function main(processes: DemoProcesses): Promise<void> {
  mkdirSync(settings.DEMO_LOG_DIR, { recursive: true });
  const databases = await serviceDatabases();
  const shared = { ...process.env, SIGNING_SECRET: settings.SIGNING_SECRET, NATS_URL: settings.NATS_URL };

  const nats = await ensureNats(settings.NATS_URL, processes);
  processes.start('coordinator', process.execPath, [join(ROOT, 'dist/apps/coordinator/main.js')], {
    ...shared,
    HOST: '127.0.0.1',
    PORT: String(settings.PORT),
    DATABASE_URL: settings.DATABASE_URL,
    REDIS_URL: settings.REDIS_URL,
    QUEUE_PREFIX: settings.QUEUE_PREFIX,
  });
  await processes.untilReady('coordinator', () => answers2xx(`${coordinatorUrl}/health/ready`), 90_000);

  for (const service of SERVICES) {
    processes.start(service, process.execPath, [join(__dirname, 'serve.js'), service], {
      ...shared,
      HOST: '127.0.0.1',
      PORT: String(PORTS[service]),
      DATABASE_URL: databases[service],
      ACCORD_URL: coordinatorUrl,
      ACCORD_TOKEN: settings.ADMIN_TOKEN,
      ORDERS_URL: urlOf('orders'),
      PAYMENTS_URL: urlOf('payments'),
    });
    await processes.untilReady(service, () => answers2xx(`${urlOf(service)}/health`), 60_000);
  }

  const accord = new AccordClient({ baseUrl: coordinatorUrl, token: settings.ADMIN_TOKEN });
  const tag = randomBytes(2).toString('hex');
  const outcomes: Outcome[] = [];
  for (const scenario of scenarios(tag)) outcomes.push(await run(scenario, urlOf('orders'), accord));
  await report(outcomes, nats);
}

async function report(outcomes: Outcome[], nats: 'found' | 'started'): Promise<void> {
  const get = async (service: ServiceName, path: string) => (await fetch(`${urlOf(service)}${path}`)).json();
  const width = Math.max(...outcomes.map((o) => o.scenario.title.length));
  const lines = [
    '',
    `Accord demo shop: coordinator ${coordinatorUrl}, console ${coordinatorUrl}/console`,
    '',
    ...outcomes.map(({ scenario, transactionId, status }) =>
      [
        `  ${scenario.title.padEnd(width)}  ${scenario.reference}  ${status.padEnd(11)}  ${coordinatorUrl}/console/transactions/${transactionId}`,
        `  ${''.padEnd(width)}  ${status === scenario.expected ? scenario.note : `expected ${scenario.expected}: see the console`}`,
      ].join('\n'),
    ),
    '',
    `  stock    ${JSON.stringify(await get('inventory', '/stock'))}`,
    `  wallets  ${JSON.stringify(await get('payments', '/balances'))}`,
    `  orders   ${JSON.stringify(await get('orders', '/orders'))}`,
    '',
    `  The shop: orders ${urlOf('orders')} (POST /checkout, /pay), payments ${urlOf('payments')}, and inventory`,
    `  over NATS at ${settings.NATS_URL}${nats === 'started' ? ' (a nats-server the demo started)' : ''}: inventory.reserve and`,
    `  inventory.release (its shelf: ${urlOf('inventory')}/stock).`,
    `  Logs in ${settings.DEMO_LOG_DIR}. Ctrl-C stops the shop, the coordinator${nats === 'started' ? ' and that nats-server' : ''}.`,
    '',
  ];
  console.log(lines.join('\n'));
}

const processes = new DemoProcesses(settings.DEMO_LOG_DIR);
const stop = (code: number) => void processes.stopAll().then(() => process.exit(code));
process.once('SIGINT', () => stop(0));
process.once('SIGTERM', () => stop(0));
main(processes).catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  stop(1);
});
