import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { CrmModule } from './crm.module';

/** Event-sourced contacts, companies, deals, activities, tasks and tickets. */
export const crmService: ServiceDefinition = {
  name: 'crm',
  defaultPort: 8085,
  env: serviceEnv(8085, { clickhouse: false }),
  postgres: { schema: 'crm', entities: [], migrations: [inboxMigration('crm', 1763900000000)] },
  streams: [STREAMS.crm, STREAMS.deadletter],
  module: (infrastructure) => CrmModule.register(infrastructure),
};
