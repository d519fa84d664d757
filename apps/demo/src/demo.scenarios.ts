import type { AccordClient, TransactionStatus } from '@accord/client';

/** One of the demo's four runs, and what it should end as. */
export interface Scenario {
  title: string;
  reference: string;
  expected: TransactionStatus;
  /** What to tell the reader about the outcome. */
  note: string;
  path: '/checkout' | '/pay';
  body: Record<string, unknown>;
}

/** The four runs, with references unique to this run (`tag`). */
export function scenarios(tag: string): Scenario[] {
  return [
    {
      title: 'checkout, in stock',
      reference: `o-${tag}-1`,
      expected: 'COMPLETED',
      note: 'order PAID, one lamp off the shelf, alice charged 42',
      path: '/checkout',
      body: { orderId: `o-${tag}-1`, sku: 'lamp', qty: 1, wallet: 'alice', total: 42 },
    },
    {
      title: 'checkout, out of stock',
      reference: `o-${tag}-2`,
      expected: 'COMPENSATED',
      note: 'inventory refused (409 OUT_OF_STOCK): the order was cancelled',
      path: '/checkout',
      body: { orderId: `o-${tag}-2`, sku: 'sofa', qty: 1, wallet: 'alice', total: 300 },
    },
    {
      title: 'TCC payment, funds too low',
      reference: `p-${tag}-3`,
      expected: 'CANCELLED',
      note: "bob's hold refused (409 INSUFFICIENT_FUNDS): both branches cancelled",
      path: '/pay',
      body: { invoiceId: `p-${tag}-3`, wallet: 'bob', amount: 500 },
    },
    {
      title: 'checkout, old storefront',
      reference: `o-${tag}-4`,
      expected: 'STUCK',
      note: 'out of stock, and the order cancel it names was retired (410): an operator decides',
      path: '/checkout',
      body: { orderId: `o-${tag}-4`, sku: 'sofa', qty: 1, wallet: 'alice', total: 300, storefront: 'legacy' },
    },
  ];
}

export interface Outcome {
  scenario: Scenario;
  transactionId: string;
  status: TransactionStatus;
}

/** Runs one scenario through the orders service and waits for it to settle. */
export async function run(scenario: Scenario, ordersUrl: string, accord: AccordClient): Promise<Outcome> {
  const answer = await fetch(`${ordersUrl}${scenario.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(scenario.body),
  });
  const body = (await answer.json()) as { transactionId?: string; error?: { message: string } };
  if (!answer.ok || !body.transactionId) throw new Error(`${scenario.title}: orders answered ${answer.status} ${body.error?.message ?? ''}`);
  const settled = await accord.wait(body.transactionId, { timeoutMs: 120_000 });
  return { scenario, transactionId: body.transactionId, status: settled.status };
}
