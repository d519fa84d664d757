import { z } from 'zod';

/** What every shop service reads from its environment. */
const serviceSettings = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535),
  /** The service's own database: its tables and its barrier. */
  DATABASE_URL: z.string().min(1),
  /** The coordinator's SIGNING_SECRET; unset: calls are not checked. */
  SIGNING_SECRET: z.string().min(16).optional(),
});

/** Inventory takes its calls over NATS (its HTTP port serves only its shelf and health). */
const inventorySettings = serviceSettings.extend({
  /** NATS server(s), `nats://host:port`, comma-separated: the coordinator's NATS_URL. */
  NATS_URL: z
    .string()
    .transform((value) => value.split(',').map((url) => url.trim()))
    .pipe(z.array(z.url({ protocol: /^(nats|tls)$/ })).min(1)),
});

/** Orders also starts the shop's transactions and names where the HTTP services are. */
const ordersSettings = serviceSettings.extend({
  ACCORD_URL: z.url(),
  ACCORD_TOKEN: z.string().min(1).optional(),
  /** Where the coordinator reaches each HTTP service (the definitions' endpoints). */
  ORDERS_URL: z.url(),
  PAYMENTS_URL: z.url(),
});

export type ServiceSettings = z.infer<typeof serviceSettings>;
export type InventorySettings = z.infer<typeof inventorySettings>;
export type OrdersSettings = z.infer<typeof ordersSettings>;

const present = (env: NodeJS.ProcessEnv) => Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));

export const readServiceSettings = (env = process.env): ServiceSettings => serviceSettings.parse(present(env));
export const readInventorySettings = (env = process.env): InventorySettings => inventorySettings.parse(present(env));
export const readOrdersSettings = (env = process.env): OrdersSettings => ordersSettings.parse(present(env));
