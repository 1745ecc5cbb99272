import { join } from 'node:path';
import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { CrmModule } from './crm.module';
import { CRM_MIGRATIONS } from './records/infrastructure/crm-migrations';

/** Event-sourced contacts, companies, deals, activities, tasks and tickets. */
export const crmService: ServiceDefinition = {
  name: 'crm',
  defaultPort: 8085,
  // ClickHouse is read (not owned) for a contact's recent events: `events` and `identity_map`.
  env: serviceEnv(8085, { clickhouse: true }),
  postgres: {
    schema: 'crm',
    entities: [],
    migrations: [inboxMigration('crm', 1763900000000), ...CRM_MIGRATIONS],
  },
  clickhouse: { migrationsDir: join(__dirname, '..', '..', 'migrations', 'clickhouse') },
  // The CRM publishes on CRM and consumes the CDP's IDENTITY, PROFILE and SEGMENT streams
  // (declared idempotently, so the CRM runs alone too).
  streams: [
    STREAMS.crm,
    STREAMS.identity,
    STREAMS.profile,
    STREAMS.segmentation,
    STREAMS.deadletter,
  ],
  module: (infrastructure) => CrmModule.register(infrastructure),
};
