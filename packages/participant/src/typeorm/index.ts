/** `@accord/participant/typeorm`: the barrier on a TypeORM DataSource. A
 * subpath of its own, so the root's types never name typeorm. */
import type { DataSource, EntityManager } from 'typeorm';
import type { BarrierDatabase } from '../barrier-database';

/** What a business function on a TypeORM DataSource writes through. */
export interface TypeOrmSession {
  /** Bound to the barrier's open transaction: repositories from
   * `manager.getRepository(...)` and `manager.query(...)` write inside it. */
  manager: EntityManager;
}

/** The barrier on a TypeORM DataSource (Postgres): one query runner per call.
 * `new Barrier(typeormDatabase(dataSource))`. */
export function typeormDatabase(dataSource: DataSource): BarrierDatabase<TypeOrmSession> {
  if (dataSource.options.type !== 'postgres') {
    throw new Error(`the Accord barrier needs Postgres; this DataSource is ${dataSource.options.type}`);
  }
  return {
    async open() {
      const runner = dataSource.createQueryRunner('master');
      await runner.connect();
      return {
        session: { manager: runner.manager },
        async query<Row>(sql: string, params: readonly unknown[] = []) {
          const result = await runner.query(sql, [...params], true);
          return { rows: (result.records ?? []) as Row[], rowCount: result.affected ?? 0 };
        },
        // Through the runner, not raw BEGIN/COMMIT: TypeORM tracks the open
        // transaction, so a save() inside the business function joins it
        // instead of committing one of its own.
        begin: () => runner.startTransaction('READ COMMITTED'),
        commit: () => runner.commitTransaction(),
        rollback: () => runner.rollbackTransaction(),
        // TypeORM discards a connection that errored by itself; a failed
        // release leaves nothing for the barrier to do.
        release: () => {
          runner.release().catch(() => undefined);
        },
      };
    },
  };
}
