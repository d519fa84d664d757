import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why a transaction ended the way it did, the outbox that announces a
 * STUCK one, and the audit log by transaction. The reasons are written by the same statement as the transition
 * that sets them; an outbox row likewise, so an announcement cannot be lost
 * between the commit and its delivery.
 */
export class WhyItEnded1795600000000 implements MigrationInterface {
  name = 'WhyItEnded1795600000000';

  public async up(q: QueryRunner): Promise<void> {
    // {step, phase, message}: what made it roll back (or cancel), and what keeps it STUCK.
    await q.query(`ALTER TABLE "transactions" ADD "rollback_reason" jsonb`);
    await q.query(`ALTER TABLE "transactions" ADD "stuck_reason" jsonb`);
    // The call whose failure used up its step's retry budget.
    await q.query(`ALTER TABLE "attempts" ADD "budget_exhausted" boolean NOT NULL DEFAULT false`);
    // Delivered at least once: `due_at` is when a replica may (re)try it, and
    // is pushed forward while one is delivering (its lease).
    await q.query(`CREATE TABLE "outbox" ("id" BIGSERIAL NOT NULL, "topic" text NOT NULL, "transaction_id" uuid NOT NULL, "payload" jsonb NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "due_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "delivered_at" TIMESTAMP WITH TIME ZONE, "last_error" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_340ab539f309f03bdaa14aa7649" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "outbox_due_idx" ON "outbox" ("due_at") WHERE delivered_at IS NULL`);
    // The audit log of one transaction (or one API key), newest first.
    await q.query(`CREATE INDEX "audit_target_idx" ON "audit" ("target", "id")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_target_idx"`);
    await q.query(`DROP TABLE "outbox"`);
    await q.query(`ALTER TABLE "attempts" DROP COLUMN "budget_exhausted"`);
    await q.query(`ALTER TABLE "transactions" DROP COLUMN "stuck_reason"`);
    await q.query(`ALTER TABLE "transactions" DROP COLUMN "rollback_reason"`);
  }
}
