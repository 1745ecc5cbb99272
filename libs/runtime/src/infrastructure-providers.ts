import type { Provider } from '@nestjs/common';
import type { ServiceInfrastructure } from './infrastructure';
import { CLICKHOUSE, NAMESPACE, NATS_CONNECTION, POSTGRES, SERVICE_CONFIG } from './tokens';
import { EventPublisher, QueryClient } from '@cdp/messaging';

/**
 * Providers a service module declares for itself, so each service resolves ITS schema's data
 * source even when six services share one process.
 */
export function infrastructureProviders(infrastructure: ServiceInfrastructure): Provider[] {
  return [
    { provide: POSTGRES, useValue: infrastructure.postgres },
    { provide: CLICKHOUSE, useValue: infrastructure.clickhouse },
    { provide: NATS_CONNECTION, useValue: infrastructure.nats },
    { provide: NAMESPACE, useValue: infrastructure.namespace },
    { provide: SERVICE_CONFIG, useValue: infrastructure.config },
    { provide: EventPublisher, useValue: infrastructure.publisher },
    { provide: QueryClient, useValue: infrastructure.queries },
  ];
}
