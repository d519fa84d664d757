import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The retention job deletes the oldest finished transactions first; only
 * finished ones are indexed. */
export class RetentionIndex1795400000000 implements MigrationInterface {
  name = 'RetentionIndex1795400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "transactions_finished_idx" ON "transactions" ("finished_at") WHERE finished_at IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "transactions_finished_idx"`);
  }
}
