import type { ClientBase } from 'pg';
import { z } from 'zod';

/** Orders' table: one row per order, PENDING until paid or cancelled. */
export const ORDERS_SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  id         text PRIMARY KEY,
  sku        text NOT NULL,
  qty        integer NOT NULL,
  wallet     text NOT NULL,
  total      bigint NOT NULL,
  status     text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'CANCELLED')),
  created_at timestamptz NOT NULL DEFAULT now()
);`;

export const checkoutInput = z.object({
  orderId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  sku: z.string().min(1),
  qty: z.number().int().positive(),
  wallet: z.string().min(1),
  total: z.number().int().positive(),
});
const orderRef = z.object({ orderId: z.string() });

/** The business of the orders service, each inside the barrier's local transaction. */
export const orders = {
  async create(input: unknown, client: ClientBase) {
    const order = checkoutInput.parse(input);
    await client.query("INSERT INTO orders (id, sku, qty, wallet, total, status) VALUES ($1, $2, $3, $4, $5, 'PENDING')", [
      order.orderId, order.sku, order.qty, order.wallet, order.total,
    ]);
    return { orderId: order.orderId, status: 'PENDING' };
  },
  async cancel(input: unknown, client: ClientBase) {
    const { orderId } = orderRef.parse(input);
    await client.query("UPDATE orders SET status = 'CANCELLED' WHERE id = $1", [orderId]);
    return { orderId, status: 'CANCELLED' };
  },
  async confirm(input: unknown, client: ClientBase) {
    const { orderId } = orderRef.parse(input);
    await client.query("UPDATE orders SET status = 'PAID' WHERE id = $1", [orderId]);
    return { orderId, status: 'PAID' };
  },
  async list(client: ClientBase) {
    const { rows } = await client.query<{ id: string; status: string }>('SELECT id, status FROM orders ORDER BY created_at, id');
    return Object.fromEntries(rows.map((row) => [row.id, row.status]));
  },
};
