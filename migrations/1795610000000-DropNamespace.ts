import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Nothing ever wrote a namespace other than 'default': the column goes until
 * something needs one. An idempotency key is unique on its own. (Replicas of
 * an older version insert into the dropped column: upgrade them together.)
 */
export class DropNamespace1795610000000 implements MigrationInterface {
  name = 'DropNamespace1795610000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "idempotency_keys" DROP CONSTRAINT "PK_8a8141d72fe142d23a0d7dcaa8a"`);
    await q.query(`ALTER TABLE "idempotency_keys" ADD CONSTRAINT "PK_0afd83cbf08c9d12089a9bffc5e" PRIMARY KEY ("key")`);
    await q.query(`ALTER TABLE "idempotency_keys" DROP COLUMN "namespace"`);
    await q.query(`ALTER TABLE "transactions" DROP COLUMN "namespace"`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "transactions" ADD "namespace" text NOT NULL DEFAULT 'default'`);
    await q.query(`ALTER TABLE "idempotency_keys" ADD "namespace" text NOT NULL DEFAULT 'default'`);
    await q.query(`ALTER TABLE "idempotency_keys" DROP CONSTRAINT "PK_0afd83cbf08c9d12089a9bffc5e"`);
    await q.query(`ALTER TABLE "idempotency_keys" ADD CONSTRAINT "PK_8a8141d72fe142d23a0d7dcaa8a" PRIMARY KEY ("namespace", "key")`);
  }
}
