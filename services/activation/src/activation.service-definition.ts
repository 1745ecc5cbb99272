import { STREAMS } from '@cdp/contracts';
import { inboxMigration, serviceEnv, type ServiceDefinition } from '@cdp/runtime';
import { ActivationModule } from './activation.module';

/** Destinations, journeys, durable timers and deliveries. */
export const activationService: ServiceDefinition = {
  name: 'activation',
  defaultPort: 8086,
  env: serviceEnv(8086, { clickhouse: false }),
  postgres: {
    schema: 'activation',
    entities: [],
    migrations: [inboxMigration('activation', 1763900000000)],
  },
  streams: [STREAMS.activation, STREAMS.deadletter],
  module: (infrastructure) => ActivationModule.register(infrastructure),
};
