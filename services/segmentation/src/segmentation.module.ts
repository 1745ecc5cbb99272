import { type DynamicModule, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ClickHouseClient } from '@cdp/persistence';
import {
  CLICKHOUSE,
  infrastructureProviders,
  POSTGRES,
  type ServiceInfrastructure,
} from '@cdp/runtime';
import { type SegmentationServiceConfig } from './config/segmentation.env';
import { BatchEvaluator } from './segments/application/batch-evaluator';
import { ManageSegmentsUseCase } from './segments/application/manage-segments.use-case';
import { type Clock } from './segments/application/ports';
import { RealtimeEvaluator } from './segments/application/realtime-evaluator';
import { RealtimeInputsUseCase } from './segments/application/realtime-inputs.use-case';
import { ResolvedEventsBatcher } from './segments/application/resolved-events.batcher';
import { SegmentCatalog } from './segments/application/segment-catalog';
import { ClickHouseBehaviorQueries } from './segments/infrastructure/clickhouse-behavior.queries';
import { PostgresMembershipQueries } from './segments/infrastructure/postgres-membership.queries';
import { PostgresSegmentStore } from './segments/infrastructure/postgres-segment.store';
import { PostgresUnitOfWork } from './segments/infrastructure/postgres-segmentation.tx';
import { SegmentationOutboxRelay } from './segments/infrastructure/segmentation-outbox.relay';
import { SegmentationScheduler } from './segments/infrastructure/segmentation-scheduler';
import { SEGMENTATION_SETTINGS } from './segments/infrastructure/segmentation-settings';
import { SegmentsController } from './segments/interface/http/segments.controller';
import { SegmentationInputsConsumer } from './segments/interface/messaging/segmentation-inputs.consumer';

const systemClock: Clock = { now: () => Date.now() };

/** Audiences over traits, behavior and CRM data, in real time and batch. */
@Module({})
export class SegmentationModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    // The platform validated the environment against the service's schema already.
    const config = infrastructure.config as unknown as SegmentationServiceConfig;
    return {
      module: SegmentationModule,
      controllers: [SegmentsController, SegmentationInputsConsumer],
      providers: [
        ...infrastructureProviders(infrastructure),
        {
          provide: SEGMENTATION_SETTINGS,
          useValue: {
            recheckIntervalMs: config.SEGMENTATION_RECHECK_INTERVAL_MS,
            batchIntervalMs: config.SEGMENTATION_BATCH_INTERVAL_MS,
          },
        },
        {
          provide: PostgresSegmentStore,
          inject: [POSTGRES],
          useFactory: (pg: DataSource) => new PostgresSegmentStore(pg),
        },
        {
          provide: PostgresUnitOfWork,
          inject: [POSTGRES],
          useFactory: (pg: DataSource) => new PostgresUnitOfWork(pg),
        },
        {
          provide: PostgresMembershipQueries,
          inject: [POSTGRES],
          useFactory: (pg: DataSource) => new PostgresMembershipQueries(pg),
        },
        {
          provide: ClickHouseBehaviorQueries,
          inject: [CLICKHOUSE],
          useFactory: (ch: ClickHouseClient | undefined) => new ClickHouseBehaviorQueries(ch),
        },
        {
          provide: SegmentCatalog,
          inject: [PostgresSegmentStore],
          useFactory: (s: PostgresSegmentStore) => new SegmentCatalog(s),
        },
        {
          provide: RealtimeEvaluator,
          inject: [SegmentCatalog],
          useFactory: (catalog: SegmentCatalog) => new RealtimeEvaluator(catalog, systemClock),
        },
        {
          provide: RealtimeInputsUseCase,
          inject: [PostgresUnitOfWork, SegmentCatalog, RealtimeEvaluator],
          useFactory: (
            uow: PostgresUnitOfWork,
            catalog: SegmentCatalog,
            evaluator: RealtimeEvaluator,
          ) => new RealtimeInputsUseCase(uow, catalog, evaluator),
        },
        {
          provide: ResolvedEventsBatcher,
          inject: [RealtimeInputsUseCase],
          useFactory: (inputs: RealtimeInputsUseCase) =>
            new ResolvedEventsBatcher(inputs, { maxEvents: 2000, maxWaitMs: 10 }),
        },
        {
          provide: BatchEvaluator,
          inject: [PostgresSegmentStore, ClickHouseBehaviorQueries, PostgresUnitOfWork],
          useFactory: (
            store: PostgresSegmentStore,
            ch: ClickHouseBehaviorQueries,
            uow: PostgresUnitOfWork,
          ) => new BatchEvaluator(store, store, ch, uow, systemClock),
        },
        {
          provide: ManageSegmentsUseCase,
          inject: [
            PostgresSegmentStore,
            ClickHouseBehaviorQueries,
            PostgresUnitOfWork,
            SegmentCatalog,
            BatchEvaluator,
          ],
          useFactory: (
            store: PostgresSegmentStore,
            ch: ClickHouseBehaviorQueries,
            uow: PostgresUnitOfWork,
            catalog: SegmentCatalog,
            batch: BatchEvaluator,
          ) => new ManageSegmentsUseCase(store, store, ch, uow, catalog, batch, store),
        },
        SegmentationOutboxRelay,
        SegmentationScheduler,
      ],
    };
  }
}
