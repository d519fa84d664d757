import type { DefinitionBody } from '@accord/client';

/** Where the coordinator reaches the HTTP services; inventory answers over NATS. */
export interface ShopUrls {
  orders: string;
  payments: string;
}

/** Inventory's NATS patterns (inventory.nats.ts answers them). */
export const INVENTORY_PATTERNS = { reserve: 'inventory.reserve', release: 'inventory.release' } as const;

export const CHECKOUT = 'shop.checkout';
/** The old storefront's checkout: its order step still names the
 * cancellation endpoint that orders retired, so a rollback gets stuck there. */
export const LEGACY_CHECKOUT = 'shop.checkout-legacy';
export const PAYMENT = 'shop.payment';
export const RETIRED_CANCEL_PATH = '/orders/cancel-v1';

const RETRY = { maxAttempts: 4, initialDelayMs: 200, maxDelayMs: 2000, multiplier: 2, jitter: true };

const inventoryEndpoints = {
  action: { transport: 'nats', pattern: INVENTORY_PATTERNS.reserve },
  compensation: { transport: 'nats', pattern: INVENTORY_PATTERNS.release },
} as const;

function checkout(name: string, urls: ShopUrls, cancelPath: string): DefinitionBody {
  return {
    name,
    type: 'saga',
    timeoutMs: 60_000,
    retry: RETRY,
    steps: [
      { name: 'create-order', action: { url: `${urls.orders}/orders/create` }, compensation: { url: `${urls.orders}${cancelPath}` } },
      { name: 'reserve-stock', input: { sku: '{{input.sku}}', qty: '{{input.qty}}' }, ...inventoryEndpoints },
      {
        name: 'charge',
        input: { wallet: '{{input.wallet}}', amount: '{{input.total}}' },
        action: { url: `${urls.payments}/payments/charge` },
        compensation: { url: `${urls.payments}/payments/refund` },
      },
      { name: 'confirm-order', input: { orderId: '{{input.orderId}}' }, action: { url: `${urls.orders}/orders/confirm` } },
    ],
  };
}

/** The shop's three definitions, for the services at `urls`. */
export function shopDefinitions(urls: ShopUrls): DefinitionBody[] {
  const branch = (path: string) => ({
    try: { url: `${urls.payments}${path}/try` },
    confirm: { url: `${urls.payments}${path}/confirm` },
    cancel: { url: `${urls.payments}${path}/cancel` },
  });
  return [
    checkout(CHECKOUT, urls, '/orders/cancel'),
    checkout(LEGACY_CHECKOUT, urls, RETIRED_CANCEL_PATH),
    {
      name: PAYMENT,
      type: 'tcc',
      timeoutMs: 60_000,
      retry: RETRY,
      // Both branches try at once: the customer's money is held while the
      // merchant's takings are announced; either refusing cancels both.
      steps: [
        { name: 'hold', dependsOn: [], ...branch('/payments/hold') },
        { name: 'payout', dependsOn: [], ...branch('/payments/payout') },
      ],
    },
  ];
}
