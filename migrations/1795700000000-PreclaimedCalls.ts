import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A call due at once is claimed by the very statement that schedules it, and
 * its job carries the claim, so the worker needs no claim statement of its
 * own. `preclaimed` marks such a claim until a worker claims the call in
 * Postgres: its lease lives although no worker may hold it yet, so the
 * sweeper must still re-create a job that Redis lost.
 */
export class PreclaimedCalls1795700000000 implements MigrationInterface {
  name = 'PreclaimedCalls1795700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "steps" ADD "preclaimed" boolean NOT NULL DEFAULT false`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "steps" DROP COLUMN "preclaimed"`);
  }
}
