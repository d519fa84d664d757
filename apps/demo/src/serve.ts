/**
 * One shop service as its own process:
 *
 *   node apps/demo/dist/serve.js orders|inventory|payments
 *
 * Settings from the environment (settings.ts): HOST, PORT, DATABASE_URL,
 * SIGNING_SECRET; inventory also NATS_URL; orders also ACCORD_URL,
 * ACCORD_TOKEN, ORDERS_URL, PAYMENTS_URL. Prints `LISTENING <port>` when it
 * serves.
 */
import type { AddressInfo } from 'node:net';
import { startInventory } from './inventory.nats';
import { startOrders } from './orders.http';
import { startPayments } from './payments.http';
import { readInventorySettings, readOrdersSettings, readServiceSettings } from './settings';

const SERVICES = {
  orders: () => startOrders(readOrdersSettings()),
  inventory: () => startInventory(readInventorySettings()),
  payments: () => startPayments(readServiceSettings()),
};

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!(name in SERVICES)) throw new Error(`usage: serve.js ${Object.keys(SERVICES).join('|')}`);
  const service = await SERVICES[name as keyof typeof SERVICES]();
  console.log(`LISTENING ${(service.server.address() as AddressInfo).port}`);
  const stop = () => void service.close();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
