import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The audit log names an API key's actions by the key's name, so two keys
 * in use never share one; a revoked key frees its name (its row stays, for
 * the audit trail). */
export class ApiKeyNames1795510000000 implements MigrationInterface {
  name = 'ApiKeyNames1795510000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE UNIQUE INDEX "api_keys_active_name_idx" ON "api_keys" ("name") WHERE revoked_at IS NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "api_keys_active_name_idx"`);
  }
}
