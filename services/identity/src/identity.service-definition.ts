import { join } from 'node:path';
import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { identityEnv } from './config/identity.env';
import { IdentityModule } from './identity.module';
import { IDENTITY_MIGRATIONS } from './resolution/infrastructure/identity-migrations';

/** Resolves identifiers into one profile per person; owns the identity graph. */
export const identityService: ServiceDefinition = {
  name: 'identity',
  defaultPort: 8082,
  env: serviceEnv(8082, { clickhouse: true }, identityEnv),
  postgres: {
    schema: 'identity',
    entities: [],
    migrations: [inboxMigration('identity', 1763900000000), ...IDENTITY_MIGRATIONS],
  },
  clickhouse: { migrationsDir: join(__dirname, '..', '..', 'migrations', 'clickhouse') },
  streams: [STREAMS.identity, STREAMS.deadletter],
  module: (infrastructure) => IdentityModule.register(infrastructure),
};
