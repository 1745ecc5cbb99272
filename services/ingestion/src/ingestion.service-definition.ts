import { join } from 'node:path';
import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { ingestionEnv } from './config/ingestion.env';
import { INGESTION_FEATURES } from './features';
import { IngestionModule } from './ingestion.module';

/** Collects events (Segment-compatible API, bulk import) and writes them to ClickHouse. */
export const ingestionService: ServiceDefinition = {
  name: 'ingestion',
  defaultPort: 8081,
  env: serviceEnv(8081, { clickhouse: true }, ingestionEnv),
  postgres: {
    schema: 'ingestion',
    entities: INGESTION_FEATURES.flatMap((f) => f.entities ?? []),
    migrations: [
      inboxMigration('ingestion', 1763900000000),
      ...INGESTION_FEATURES.flatMap((f) => f.migrations ?? []),
    ],
  },
  clickhouse: { migrationsDir: join(__dirname, '..', '..', 'migrations', 'clickhouse') },
  streams: [STREAMS.ingestion, STREAMS.deadletter],
  module: (infrastructure) => IngestionModule.register(infrastructure),
};
