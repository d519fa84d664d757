import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention deletes a batch of transactions with their idempotency keys and
 * outbox rows, which nothing indexed by transaction: every batch read the
 * whole idempotency_keys table. (Not CONCURRENTLY: that waits for every
 * snapshot, and a replica waiting for the migration lock holds one.)
 */
export class TransactionIdIndexes1795700000000 implements MigrationInterface {
  name = 'TransactionIdIndexes1795700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "idempotency_keys_transaction_idx" ON "idempotency_keys" ("transaction_id")`);
    await q.query(`CREATE INDEX "outbox_transaction_idx" ON "outbox" ("transaction_id")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "outbox_transaction_idx"`);
    await q.query(`DROP INDEX "idempotency_keys_transaction_idx"`);
  }
}
