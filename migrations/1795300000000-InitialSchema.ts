import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The coordinator's schema. Postgres is the only source of truth: a
 * transaction can be resumed from these rows alone, whatever Redis holds.
 */
export class InitialSchema1795300000000 implements MigrationInterface {
  name = 'InitialSchema1795300000000';

  public async up(q: QueryRunner): Promise<void> {
    // Registered definitions are immutable; (name, version) is their identity and
    // `hash` lets an identical re-registration return the existing version.
    await q.query(`CREATE TABLE "definitions" ("name" text NOT NULL, "version" integer NOT NULL, "type" text NOT NULL, "body" jsonb NOT NULL, "hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_f66b620e0ff5eebcdabd2078035" PRIMARY KEY ("name", "version"))`);

    // One row per transaction. `version` is the optimistic lock every transition
    // checks; `spec` holds the body of an inline (one-off) transaction.
    await q.query(`CREATE TABLE "transactions" ("id" uuid NOT NULL, "namespace" text NOT NULL DEFAULT 'default', "definition_name" text, "definition_version" integer, "spec" jsonb, "type" text NOT NULL, "status" text NOT NULL, "direction" text NOT NULL, "pivot_passed" boolean NOT NULL DEFAULT false, "input" jsonb, "deadline_at" TIMESTAMP WITH TIME ZONE, "version" integer NOT NULL DEFAULT '0', "traceparent" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_a219afd8dd77ed80f5a862f1db9" PRIMARY KEY ("id"))`);
    // Operator list views: newest first, by status or definition.
    await q.query(`CREATE INDEX "transactions_list_idx" ON "transactions" ("created_at", "id")`);
    await q.query(`CREATE INDEX "transactions_status_idx" ON "transactions" ("status", "created_at")`);
    await q.query(`CREATE INDEX "transactions_definition_idx" ON "transactions" ("definition_name", "created_at")`);
    // The sweeper's deadline scan only looks at sagas still running and TCC
    // transactions still trying: after that the deadline no longer applies.
    await q.query(`CREATE INDEX "transactions_deadline_idx" ON "transactions" ("deadline_at") WHERE status IN ('RUNNING', 'TRYING') AND deadline_at IS NOT NULL`);

    // Per-step state. A non-null `due_at` means "a call of (phase, attempt) is
    // owed"; `lease_until` + `claim` fence the worker making it.
    await q.query(`CREATE TABLE "steps" ("transaction_id" uuid NOT NULL, "name" text NOT NULL, "idx" integer NOT NULL, "status" text NOT NULL, "phase" text, "attempt" integer NOT NULL DEFAULT '0', "attempt_base" integer NOT NULL DEFAULT '0', "due_at" TIMESTAMP WITH TIME ZONE, "lease_until" TIMESTAMP WITH TIME ZONE, "lease_ms" integer NOT NULL DEFAULT '0', "claim" integer NOT NULL DEFAULT '0', "may_have_applied" boolean NOT NULL DEFAULT false, "input" jsonb, "output" jsonb, "last_error" text, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_469191a810fee7ccdab9f0c5cf2" PRIMARY KEY ("transaction_id", "name"))`);
    // The sweeper's scan: only steps that owe a call are indexed.
    await q.query(`CREATE INDEX "steps_due_idx" ON "steps" ("due_at") WHERE due_at IS NOT NULL`);

    // The attempt/compensation log: append-only, one row per participant call.
    await q.query(`CREATE TABLE "attempts" ("id" BIGSERIAL NOT NULL, "transaction_id" uuid NOT NULL, "step" text NOT NULL, "phase" text NOT NULL, "attempt" integer NOT NULL, "claim" integer NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "latency_ms" integer NOT NULL, "outcome" text NOT NULL, "status_code" integer, "error" text, "request" jsonb, "applied" boolean NOT NULL, "worker" text NOT NULL, CONSTRAINT "PK_295ca261e361fd2fd217754dcac" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "attempts_transaction_idx" ON "attempts" ("transaction_id", "id")`);

    // A start request's idempotency key; the unique key makes racing duplicates
    // wait for the first and then see its transaction.
    await q.query(`CREATE TABLE "idempotency_keys" ("namespace" text NOT NULL, "key" text NOT NULL, "request_hash" text NOT NULL, "transaction_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_8a8141d72fe142d23a0d7dcaa8a" PRIMARY KEY ("namespace", "key"))`);

    await q.query(`CREATE TABLE "audit" ("id" BIGSERIAL NOT NULL, "actor" text NOT NULL, "action" text NOT NULL, "target" text, "note" text, "details" jsonb, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_1d3d120ddaf7bc9b1ed68ed463a" PRIMARY KEY ("id"))`);

    // Only token hashes are stored.
    await q.query(`CREATE TABLE "api_keys" ("id" uuid NOT NULL, "name" text NOT NULL, "token_hash" text NOT NULL, "scopes" text array NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "UQ_77f4ee004e33afac232c0a8fd18" UNIQUE ("token_hash"), CONSTRAINT "PK_5c8a79801b44bd27b79228e1dad" PRIMARY KEY ("id"))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of ['api_keys', 'audit', 'idempotency_keys', 'attempts', 'steps', 'transactions', 'definitions']) {
      await q.query(`DROP TABLE "${table}"`);
    }
  }
}
