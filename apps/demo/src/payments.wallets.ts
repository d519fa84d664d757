import { BusinessRefusal } from '@accord/participant';
import type { ClientBase } from 'pg';
import { z } from 'zod';

/** Payments' tables: wallets, with money held by a TCC try apart from the
 * balance, and the merchant's pending and settled takings. */
export const PAYMENTS_SCHEMA = `
CREATE TABLE IF NOT EXISTS wallets (
  id      text PRIMARY KEY,
  balance bigint NOT NULL CHECK (balance >= 0),
  held    bigint NOT NULL DEFAULT 0 CHECK (held >= 0)
);
CREATE TABLE IF NOT EXISTS takings (
  merchant text PRIMARY KEY,
  pending  bigint NOT NULL DEFAULT 0,
  settled  bigint NOT NULL DEFAULT 0
);`;

/** What the wallets hold, every time payments starts. */
export const OPENING_WALLETS: Record<string, number> = { alice: 100, bob: 10 };
export const MERCHANT = 'shop';

const payment = z.object({ wallet: z.string().min(1), amount: z.number().int().positive() });

async function debit(client: ClientBase, wallet: string, amount: number, into: 'spent' | 'held'): Promise<void> {
  const held = into === 'held' ? ', held = held + $2' : '';
  const { rowCount } = await client.query(`UPDATE wallets SET balance = balance - $2${held} WHERE id = $1 AND balance >= $2`, [wallet, amount]);
  if (rowCount === 0) throw new BusinessRefusal(`wallet ${wallet} has less than ${amount}`, { code: 'INSUFFICIENT_FUNDS' });
}

/**
 * The business of the payments service, each function inside the barrier's
 * local transaction. A saga charges and refunds; a TCC payment holds the
 * money (try), then takes it (confirm) or gives it back (cancel), while the
 * merchant's side records the takings as pending until the same decision.
 */
export const payments = {
  async charge(input: unknown, client: ClientBase) {
    const { wallet, amount } = payment.parse(input);
    await debit(client, wallet, amount, 'spent');
    await client.query('UPDATE takings SET settled = settled + $2 WHERE merchant = $1', [MERCHANT, amount]);
    return { wallet, charged: amount };
  },
  async refund(input: unknown, client: ClientBase) {
    const { wallet, amount } = payment.parse(input);
    await client.query('UPDATE wallets SET balance = balance + $2 WHERE id = $1', [wallet, amount]);
    await client.query('UPDATE takings SET settled = settled - $2 WHERE merchant = $1', [MERCHANT, amount]);
    return { wallet, refunded: amount };
  },

  hold: {
    async try(input: unknown, client: ClientBase) {
      const { wallet, amount } = payment.parse(input);
      await debit(client, wallet, amount, 'held');
      return { wallet, held: amount };
    },
    async confirm(input: unknown, client: ClientBase) {
      const { wallet, amount } = payment.parse(input);
      await client.query('UPDATE wallets SET held = held - $2 WHERE id = $1', [wallet, amount]);
      return { wallet, paid: amount };
    },
    async cancel(input: unknown, client: ClientBase) {
      const { wallet, amount } = payment.parse(input);
      await client.query('UPDATE wallets SET held = held - $2, balance = balance + $2 WHERE id = $1', [wallet, amount]);
      return { wallet, released: amount };
    },
  },

  payout: {
    async try(input: unknown, client: ClientBase) {
      const { amount } = payment.parse(input);
      await client.query('UPDATE takings SET pending = pending + $2 WHERE merchant = $1', [MERCHANT, amount]);
      return { merchant: MERCHANT, pending: amount };
    },
    async confirm(input: unknown, client: ClientBase) {
      const { amount } = payment.parse(input);
      await client.query('UPDATE takings SET pending = pending - $2, settled = settled + $2 WHERE merchant = $1', [MERCHANT, amount]);
      return { merchant: MERCHANT, settled: amount };
    },
    async cancel(input: unknown, client: ClientBase) {
      const { amount } = payment.parse(input);
      await client.query('UPDATE takings SET pending = pending - $2 WHERE merchant = $1', [MERCHANT, amount]);
      return { merchant: MERCHANT, dropped: amount };
    },
  },

  async open(client: ClientBase): Promise<void> {
    await client.query(PAYMENTS_SCHEMA);
    for (const [id, balance] of Object.entries(OPENING_WALLETS)) {
      await client.query(
        'INSERT INTO wallets (id, balance) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance, held = 0',
        [id, balance],
      );
    }
    await client.query(
      'INSERT INTO takings (merchant) VALUES ($1) ON CONFLICT (merchant) DO UPDATE SET pending = 0, settled = 0',
      [MERCHANT],
    );
  },

  async balances(client: ClientBase) {
    const wallets = await client.query<{ id: string; balance: string; held: string }>('SELECT id, balance, held FROM wallets ORDER BY id');
    const takings = await client.query<{ pending: string; settled: string }>('SELECT pending, settled FROM takings WHERE merchant = $1', [MERCHANT]);
    return {
      wallets: Object.fromEntries(wallets.rows.map((row) => [row.id, { balance: Number(row.balance), held: Number(row.held) }])),
      takings: { pending: Number(takings.rows[0]?.pending ?? 0), settled: Number(takings.rows[0]?.settled ?? 0) },
    };
  },
};
