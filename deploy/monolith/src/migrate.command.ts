import { loadConfig } from '@cdp/config';
import { migrateClickHouse, openPostgres, createClickHouseClient } from '@cdp/persistence';
import { platformEnvSchema, selectServices } from '@cdp/runtime';
import { TENANCY_ENTITIES, TENANCY_MIGRATIONS, TENANCY_SCHEMA } from '@cdp/tenancy';
import { definitionsFor } from './all-services';

/**
 * Applies every migration of the selected services and exits: what the chart's pre-install /
 * pre-upgrade Job runs, so pods never race on a schema change.
 */
export async function runMigrateCli(argv: readonly string[]): Promise<number> {
  const definitions = definitionsFor(selectServices(argv, process.env.CDP_SERVICES));
  const config = loadConfig(platformEnvSchema(definitions, 'monolith')) as {
    DATABASE_URL: string;
    CLICKHOUSE_URL?: string;
  };
  const schemas = [
    { schema: TENANCY_SCHEMA, entities: TENANCY_ENTITIES, migrations: TENANCY_MIGRATIONS },
    ...definitions.map((d) => d.postgres),
  ];
  for (const { schema, entities, migrations } of schemas) {
    const dataSource = await openPostgres({
      url: config.DATABASE_URL,
      schema,
      entities: [...entities] as never,
      migrations: [...migrations] as never,
      poolSize: 1,
    });
    await dataSource.destroy();
    console.log(`postgres schema ${schema}: up to date`);
  }
  const withClickHouse = definitions.filter((d) => d.clickhouse);
  if (withClickHouse.length > 0 && config.CLICKHOUSE_URL) {
    const client = createClickHouseClient(config.CLICKHOUSE_URL);
    try {
      for (const definition of withClickHouse) {
        const { applied } = await migrateClickHouse(client, {
          service: definition.name,
          clickhouseMigrationsDir: definition.clickhouse?.migrationsDir ?? '',
        });
        console.log(`clickhouse ${definition.name}: ${applied.length} migration(s) applied`);
      }
    } finally {
      await client.close();
    }
  }
  return 0;
}
