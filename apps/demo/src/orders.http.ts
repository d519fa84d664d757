import { AccordApiError, AccordClient } from '@accord/client';
import { createParticipantHandler } from '@accord/participant';
import { z } from 'zod';
import { checkoutInput, orders, ORDERS_SCHEMA } from './orders.book';
import type { OrdersSettings } from './settings';
import { CHECKOUT, LEGACY_CHECKOUT, PAYMENT, RETIRED_CANCEL_PATH, shopDefinitions } from './shop.definitions';
import { openShopDatabase, withClient } from './shop-database';
import { shopService, startShopServer, type ShopRoute, type ShopService } from './shop-server';

const checkoutRequest = checkoutInput.extend({ storefront: z.enum(['current', 'legacy']).default('current') });
const payRequest = z.object({ invoiceId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), wallet: z.string().min(1), amount: z.number().int().positive() });

/** How long a checkout waits for its transaction before answering. */
const WAIT_MS = 10_000;

/**
 * Orders: the shop's front. `POST /checkout` starts a checkout saga (keyed
 * by the order id, so a repeated checkout is the same transaction) and
 * `POST /pay` a TCC payment; `GET /orders` lists the orders. It is also the
 * saga's participant for its own table (`/orders/create`, `/orders/cancel`,
 * `/orders/confirm`), and registers the shop's definitions at start-up.
 */
export async function startOrders(settings: OrdersSettings): Promise<ShopService> {
  const { pool, barrier } = await openShopDatabase(settings.DATABASE_URL, (client) => client.query(ORDERS_SCHEMA));

  const accord = new AccordClient({ baseUrl: settings.ACCORD_URL, token: settings.ACCORD_TOKEN });
  for (const definition of shopDefinitions({ orders: settings.ORDERS_URL, payments: settings.PAYMENTS_URL })) {
    await accord.registerDefinition(definition);
  }

  const participant = createParticipantHandler({
    barrier,
    signingSecret: settings.SIGNING_SECRET,
    handlers: {
      '/orders/create': (input, { client }) => orders.create(input, client),
      '/orders/cancel': (input, { client }) => orders.cancel(input, client),
      '/orders/confirm': (input, { client }) => orders.confirm(input, client),
    },
  });

  const start = (definition: string, idempotencyKey: string, input: unknown) =>
    accord.start({ definition, input, idempotencyKey, waitMs: WAIT_MS }).then(({ transaction }) => ({
      status: 200,
      body: { transactionId: transaction.id, status: transaction.status },
    }));

  const checkout: ShopRoute = async (body) => {
    const parsed = checkoutRequest.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const { storefront, ...input } = parsed.data;
    return answerApiErrors(() => start(storefront === 'legacy' ? LEGACY_CHECKOUT : CHECKOUT, `checkout-${input.orderId}`, input));
  };
  const pay: ShopRoute = async (body) => {
    const parsed = payRequest.safeParse(body);
    if (!parsed.success) return invalid(parsed.error);
    const { invoiceId, wallet, amount } = parsed.data;
    return answerApiErrors(() => start(PAYMENT, `pay-${invoiceId}`, { wallet, amount }));
  };

  const server = await startShopServer({
    host: settings.HOST,
    port: settings.PORT,
    participant,
    routes: {
      'POST /checkout': checkout,
      'POST /pay': pay,
      'GET /orders': async () => ({ status: 200, body: await withClient(pool, (client) => orders.list(client)) }),
    },
    gone: { [RETIRED_CANCEL_PATH]: `retired: orders are cancelled at /orders/cancel` },
  });
  return shopService(server, () => pool.end());
}

function invalid(error: z.ZodError) {
  return { status: 400, body: { error: { code: 'VALIDATION_FAILED', message: z.prettifyError(error) } } };
}

async function answerApiErrors(fn: () => Promise<{ status: number; body: unknown }>) {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AccordApiError) return { status: 502, body: { error: { code: error.code, message: error.message } } };
    throw error;
  }
}
