import 'reflect-metadata';
import { createDataSource, runMigrations } from '@accord/persistence';
import { createTestDatabase } from '../support/test-env';

describe('migrations', () => {
  it('build the schema the entities describe, and a second run (another replica) applies nothing', async () => {
    const url = await createTestDatabase('migrations');
    const replicas = [createDataSource({ url, poolSize: 2 }), createDataSource({ url, poolSize: 2 })];
    await Promise.all(replicas.map((ds) => ds.initialize()));
    try {
      const applied = await Promise.all(replicas.map((ds) => runMigrations(ds)));
      expect(applied.flat()).toEqual(['InitialSchema1795300000000', 'RetentionIndex1795400000000', 'ApiKeyNames1795510000000', 'WhyItEnded1795600000000',
        'DropNamespace1795610000000', 'TraceState1795650000000', 'PreclaimedCalls1795700000000', 'RetentionLookups1795720000000',
        'StepsFillFactor1795730000000']);
      const pending = await replicas[0].driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await Promise.all(replicas.map((ds) => ds.destroy()));
    }
  });
});
