import { type DynamicModule, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Namespace } from '@cdp/messaging';
import {
  infrastructureProviders,
  NAMESPACE,
  NATS_CONNECTION,
  POSTGRES,
  type ServiceInfrastructure,
} from '@cdp/runtime';
import { type IdentityServiceConfig } from './config/identity.env';
import { IdentityQueriesService } from './resolution/application/identity-queries.service';
import { ObserveIdentifiersUseCase } from './resolution/application/observe-identifiers.use-case';
import { SplitProfileUseCase } from './resolution/application/split-profile.use-case';
import { VerifyRebuildUseCase } from './resolution/application/verify-rebuild.use-case';
import { JetStreamAcceptedEventLog } from './resolution/infrastructure/jetstream-accepted-event-log';
import { ClickHouseEventHistory } from './resolution/infrastructure/clickhouse-event-history';
import { ResolveEventUseCase } from './resolution/application/resolve-event.use-case';
import { ResolveEventBatchUseCase } from './resolution/application/resolve-event-batch.use-case';
import { ResolveObservationUseCase } from './resolution/application/resolve-observation.use-case';
import { RandomIdGenerator } from './resolution/infrastructure/default-identity-settings';
import { IdentityOutboxRelay } from './resolution/infrastructure/identity-outbox.relay';
import { QuerySourceKindLookup } from './resolution/infrastructure/query-source-kind-lookup';
import { PostgresIdentityGraph } from './resolution/infrastructure/postgres-identity-graph';
import { IdentityController } from './resolution/interface/http/identity.controller';
import { IdentityConfigController } from './resolution/interface/http/identity-config.controller';
import { IdentityConfigService } from './resolution/application/identity-config.service';
import { PostgresIdentityConfigStore } from './resolution/infrastructure/postgres-identity-config-store';
import { AcceptedEventsConsumer } from './resolution/interface/messaging/accepted-events.consumer';
import { CrmContactsConsumer } from './resolution/interface/messaging/crm-contacts.consumer';
import { ResolveCrmContactUseCase } from './resolution/application/resolve-crm-contact.use-case';

/** Resolves identifiers into one profile per person; owns the identity graph. */
@Module({})
export class IdentityModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    // The platform validated the environment against the service's schema already.
    const config = infrastructure.config as unknown as IdentityServiceConfig;
    const sourceKinds = new QuerySourceKindLookup(
      infrastructure.queries,
      config.IDENTITY_SOURCE_KINDS ?? {},
    );
    return {
      module: IdentityModule,
      controllers: [
        AcceptedEventsConsumer,
        CrmContactsConsumer,
        IdentityController,
        IdentityConfigController,
      ],
      providers: [
        ...infrastructureProviders(infrastructure),
        {
          provide: IdentityConfigService,
          inject: [POSTGRES],
          useFactory: (postgres: DataSource) =>
            new IdentityConfigService(new PostgresIdentityConfigStore(postgres)),
        },
        {
          provide: PostgresIdentityGraph,
          inject: [POSTGRES],
          useFactory: (postgres: DataSource) => new PostgresIdentityGraph(postgres),
        },
        {
          provide: ResolveObservationUseCase,
          inject: [PostgresIdentityGraph, IdentityConfigService],
          useFactory: (graph: PostgresIdentityGraph, configs: IdentityConfigService) =>
            new ResolveObservationUseCase(graph, configs, new RandomIdGenerator()),
        },
        {
          provide: ResolveEventUseCase,
          inject: [ResolveObservationUseCase, IdentityConfigService],
          useFactory: (observations: ResolveObservationUseCase, configs: IdentityConfigService) =>
            new ResolveEventUseCase(configs, sourceKinds, observations),
        },
        {
          provide: ResolveEventBatchUseCase,
          inject: [PostgresIdentityGraph, IdentityConfigService],
          useFactory: (graph: PostgresIdentityGraph, configs: IdentityConfigService) =>
            new ResolveEventBatchUseCase(graph, configs, sourceKinds, new RandomIdGenerator()),
        },
        {
          provide: ResolveCrmContactUseCase,
          inject: [ResolveObservationUseCase, IdentityConfigService],
          useFactory: (observations: ResolveObservationUseCase, configs: IdentityConfigService) =>
            new ResolveCrmContactUseCase(configs, observations),
        },
        {
          provide: IdentityQueriesService,
          inject: [PostgresIdentityGraph, IdentityConfigService],
          useFactory: (graph: PostgresIdentityGraph, configs: IdentityConfigService) =>
            new IdentityQueriesService(graph, configs),
        },
        {
          provide: ObserveIdentifiersUseCase,
          inject: [ResolveObservationUseCase, IdentityConfigService],
          useFactory: (observations: ResolveObservationUseCase, configs: IdentityConfigService) =>
            new ObserveIdentifiersUseCase(configs, observations),
        },
        {
          provide: SplitProfileUseCase,
          inject: [PostgresIdentityGraph],
          useFactory: (graph: PostgresIdentityGraph) =>
            new SplitProfileUseCase(graph, new RandomIdGenerator()),
        },
        {
          provide: VerifyRebuildUseCase,
          inject: [PostgresIdentityGraph, NATS_CONNECTION, NAMESPACE, IdentityConfigService],
          useFactory: (
            graph: PostgresIdentityGraph,
            nats: NatsConnection,
            namespace: Namespace,
            configs: IdentityConfigService,
          ) =>
            new VerifyRebuildUseCase(
              {
                stream: new JetStreamAcceptedEventLog(nats, namespace),
                ...(infrastructure.clickhouse
                  ? { clickhouse: new ClickHouseEventHistory(infrastructure.clickhouse) }
                  : {}),
              },
              graph,
              configs,
              sourceKinds,
              graph,
            ),
        },
        IdentityOutboxRelay,
      ],
    };
  }
}
