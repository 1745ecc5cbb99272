import { join } from 'node:path';
import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { IdentityModule } from './identity.module';

/** Resolves identifiers into one profile per person; owns the identity graph. */
export const identityService: ServiceDefinition = {
  name: 'identity',
  defaultPort: 8082,
  env: serviceEnv(8082, { clickhouse: true }),
  postgres: {
    schema: 'identity',
    entities: [],
    migrations: [inboxMigration('identity', 1763900000000)],
  },
  clickhouse: { migrationsDir: join(__dirname, '..', '..', 'migrations', 'clickhouse') },
  streams: [STREAMS.identity, STREAMS.deadletter],
  module: (infrastructure) => IdentityModule.register(infrastructure),
};
