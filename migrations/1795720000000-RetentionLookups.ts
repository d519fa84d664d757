import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention deletes a batch of transactions with their idempotency keys and
 * outbox rows, which nothing indexed by transaction: every batch read the
 * whole idempotency_keys table. A key is found by its transaction's creation
 * time and id (it is written by the same statement, so it has the same
 * `created_at`): in time order, every start adds its key at the index's
 * end, where an index by transaction id alone would take a random page of
 * it. (Not CONCURRENTLY: that waits for every snapshot, and a replica
 * waiting for the migration lock holds one.)
 */
export class RetentionLookups1795720000000 implements MigrationInterface {
  name = 'RetentionLookups1795720000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" ("created_at", "transaction_id")`);
    await q.query(`CREATE INDEX "outbox_transaction_idx" ON "outbox" ("transaction_id")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "outbox_transaction_idx"`);
    await q.query(`DROP INDEX "idempotency_keys_created_idx"`);
  }
}
