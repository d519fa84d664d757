import { createParticipantHandler } from '@accord/participant';
import { payments } from './payments.wallets';
import { openShopDatabase, withClient } from './shop-database';
import type { ServiceSettings } from './settings';
import { shopService, startShopServer, type ShopService } from './shop-server';

/** Payments' endpoints over HTTP: a saga's `/payments/charge` and
 * `/payments/refund`, and the TCC branches `/payments/hold/{try,confirm,cancel}`
 * (the customer's wallet) and `/payments/payout/{try,confirm,cancel}` (the
 * merchant's takings). */
export async function startPayments(settings: ServiceSettings): Promise<ShopService> {
  const { pool, barrier } = await openShopDatabase(settings.DATABASE_URL, (client) => payments.open(client));
  const participant = createParticipantHandler({
    barrier,
    signingSecret: settings.SIGNING_SECRET,
    handlers: {
      '/payments/charge': (input, { client }) => payments.charge(input, client),
      '/payments/refund': (input, { client }) => payments.refund(input, client),
      '/payments/hold/try': (input, { client }) => payments.hold.try(input, client),
      '/payments/hold/confirm': (input, { client }) => payments.hold.confirm(input, client),
      '/payments/hold/cancel': (input, { client }) => payments.hold.cancel(input, client),
      '/payments/payout/try': (input, { client }) => payments.payout.try(input, client),
      '/payments/payout/confirm': (input, { client }) => payments.payout.confirm(input, client),
      '/payments/payout/cancel': (input, { client }) => payments.payout.cancel(input, client),
    },
  });
  const server = await startShopServer({
    host: settings.HOST,
    port: settings.PORT,
    participant,
    routes: { 'GET /balances': async () => ({ status: 200, body: await withClient(pool, (client) => payments.balances(client)) }) },
  });
  return shopService(server, () => pool.end());
}

