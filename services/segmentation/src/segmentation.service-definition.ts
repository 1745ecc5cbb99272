import { join } from 'node:path';
import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { segmentationEnv } from './config/segmentation.env';
import { SegmentationModule } from './segmentation.module';
import { CreateSegmentation1764300000000 } from './segments/infrastructure/migrations/1764300000000-create-segmentation';

/** Audiences over traits, behavior and CRM data, in real time and batch. */
export const segmentationService: ServiceDefinition = {
  name: 'segmentation',
  defaultPort: 8084,
  env: serviceEnv(8084, { clickhouse: true }, segmentationEnv),
  postgres: {
    schema: 'segmentation',
    entities: [],
    migrations: [inboxMigration('segmentation', 1763900000000), CreateSegmentation1764300000000],
  },
  clickhouse: { migrationsDir: join(__dirname, '..', '..', 'migrations', 'clickhouse') },
  streams: [STREAMS.segmentation, STREAMS.deadletter],
  module: (infrastructure) => SegmentationModule.register(infrastructure),
};
