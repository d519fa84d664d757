import { Barrier, createParticipantHandler } from '@accord/participant';
import type { Server } from 'node:http';
import type { Pool } from 'pg';
import { inventory } from './inventory.stock';
import { openPool, withClient } from './shop-database';
import type { ServiceSettings } from './settings';
import { startShopServer } from './shop-server';

/** Inventory's endpoints over HTTP: `POST /inventory/reserve` and `/inventory/release`. */
export async function startInventory(settings: ServiceSettings): Promise<{ server: Server; pool: Pool }> {
  const pool = openPool(settings.DATABASE_URL);
  const barrier = new Barrier(pool);
  await barrier.install();
  await withClient(pool, (client) => inventory.open(client));
  const participant = createParticipantHandler({
    barrier,
    signingSecret: settings.SIGNING_SECRET,
    handlers: {
      '/inventory/reserve': (input, { client, call }) => inventory.reserve(input, client, `${call.transactionId}:${call.step}`),
      '/inventory/release': (_input, { client, forwardResult }) => inventory.release(forwardResult, client),
    },
  });
  const server = await startShopServer({
    host: settings.HOST,
    port: settings.PORT,
    participant,
    routes: {
      'GET /stock': async () => ({ status: 200, body: await withClient(pool, (client) => inventory.shelf(client)) }),
    },
  });
  return { server, pool };
}
