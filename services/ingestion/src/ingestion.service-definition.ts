import { join } from 'node:path';
import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { IngestionModule } from './ingestion.module';

/** Collects events (Segment-compatible API, bulk import) and writes them to ClickHouse. */
export const ingestionService: ServiceDefinition = {
  name: 'ingestion',
  defaultPort: 8081,
  env: serviceEnv(8081, { clickhouse: true }),
  postgres: {
    schema: 'ingestion',
    entities: [],
    migrations: [inboxMigration('ingestion', 1763900000000)],
  },
  clickhouse: { migrationsDir: join(__dirname, '..', '..', 'migrations', 'clickhouse') },
  streams: [STREAMS.ingestion, STREAMS.deadletter],
  module: (infrastructure) => IngestionModule.register(infrastructure),
};
