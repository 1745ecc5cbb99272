import { join } from 'node:path';
import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { profileEnv } from './config/profile.env';
import { ProfileModule } from './profile.module';
import { PROFILE_MIGRATIONS } from './profiles/infrastructure/profile-migrations';

/** Unified customer profiles: traits with provenance, computed traits, timeline. */
export const profileService: ServiceDefinition = {
  name: 'profile',
  defaultPort: 8083,
  env: serviceEnv(8083, { clickhouse: true }, profileEnv),
  postgres: {
    schema: 'profile',
    entities: [],
    migrations: [inboxMigration('profile', 1763900000000), ...PROFILE_MIGRATIONS],
  },
  clickhouse: { migrationsDir: join(__dirname, '..', '..', 'migrations', 'clickhouse') },
  streams: [STREAMS.profile, STREAMS.privacy, STREAMS.deadletter],
  module: (infrastructure) => ProfileModule.register(infrastructure),
};
