import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A transaction keeps the whole W3C trace context of the trace it belongs
 * to: `traceparent` already, now the `tracestate` that travels with it (the
 * caller's vendors' entries), so that calls made after a restart carry both.
 */
export class TraceState1795650000000 implements MigrationInterface {
  name = 'TraceState1795650000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "transactions" ADD "tracestate" text`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "transactions" DROP COLUMN "tracestate"`);
  }
}
