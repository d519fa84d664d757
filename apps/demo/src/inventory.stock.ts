import { BusinessRefusal } from '@accord/participant';
import type { ClientBase } from 'pg';
import { z } from 'zod';

/** Inventory's tables: what is on the shelf, and what each checkout holds. */
export const INVENTORY_SCHEMA = `
CREATE TABLE IF NOT EXISTS stock (
  sku       text PRIMARY KEY,
  available integer NOT NULL CHECK (available >= 0)
);
CREATE TABLE IF NOT EXISTS reservations (
  id         text PRIMARY KEY,
  sku        text NOT NULL,
  qty        integer NOT NULL,
  released   boolean NOT NULL DEFAULT false
);`;

/** What the shop opens with, every time inventory starts. */
export const OPENING_STOCK: Record<string, number> = { lamp: 10, sofa: 0 };

const reserveInput = z.object({ sku: z.string().min(1), qty: z.number().int().positive() });
const reservation = z.object({ reservationId: z.string(), sku: z.string(), qty: z.number().int() });

/**
 * The business of the inventory service, independent of how a call reaches
 * it: each function runs inside the barrier's local transaction (`client`),
 * so its writes and the barrier row commit together. The Nest microservice
 * in inventory.nats.ts serves them over NATS; an HTTP binding could serve
 * the same two functions.
 */
export const inventory = {
  /** Takes `qty` of `sku` off the shelf, or refuses (409) when there is not enough. */
  async reserve(input: unknown, client: ClientBase, reservationId: string) {
    const { sku, qty } = reserveInput.parse(input);
    const { rowCount } = await client.query('UPDATE stock SET available = available - $2 WHERE sku = $1 AND available >= $2', [sku, qty]);
    if (rowCount === 0) throw new BusinessRefusal(`${sku}: fewer than ${qty} in stock`, { code: 'OUT_OF_STOCK' });
    await client.query('INSERT INTO reservations (id, sku, qty) VALUES ($1, $2, $3)', [reservationId, sku, qty]);
    return { reservationId, sku, qty };
  },

  /** Puts a reservation back on the shelf (the compensation). `forward` is
   * what reserve answered; a release without a reserve is the barrier's
   * null compensation and never gets here. */
  async release(forward: unknown, client: ClientBase) {
    const { reservationId, sku, qty } = reservation.parse(forward);
    await client.query('UPDATE reservations SET released = true WHERE id = $1', [reservationId]);
    await client.query('UPDATE stock SET available = available + $2 WHERE sku = $1', [sku, qty]);
    return { released: reservationId };
  },

  async open(client: ClientBase): Promise<void> {
    await client.query(INVENTORY_SCHEMA);
    for (const [sku, available] of Object.entries(OPENING_STOCK)) {
      await client.query(
        'INSERT INTO stock (sku, available) VALUES ($1, $2) ON CONFLICT (sku) DO UPDATE SET available = EXCLUDED.available',
        [sku, available],
      );
    }
  },

  async shelf(client: ClientBase): Promise<Record<string, number>> {
    const { rows } = await client.query<{ sku: string; available: number }>('SELECT sku, available FROM stock ORDER BY sku');
    return Object.fromEntries(rows.map((row) => [row.sku, row.available]));
  },
};
