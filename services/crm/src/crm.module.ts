import { type DynamicModule, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ClickHouseClient } from '@cdp/persistence';
import {
  CLICKHOUSE,
  infrastructureProviders,
  POSTGRES,
  type ServiceInfrastructure,
} from '@cdp/runtime';
import { CdpViewService } from './cdp-view/application/cdp-view.service';
import { ClickHouseRecentEvents } from './cdp-view/infrastructure/clickhouse-recent-events';
import { PostgresCdpViewStore } from './cdp-view/infrastructure/postgres-cdp-view.store';
import {
  CDP_VIEW_STORE,
  CdpViewConsumers,
} from './cdp-view/interface/messaging/cdp-view.consumers';
import { ImportRecordsUseCase } from './imports/application/import-records.use-case';
import { PostgresDedupLookup } from './imports/infrastructure/postgres-dedup-lookup';
import { CsvImportBodyParser } from './imports/interface/http/csv-body-parser';
import { ImportsController } from './imports/interface/http/imports.controller';
import { RecordsService } from './records/application/records.service';
import { AGGREGATE_TYPES } from './records/domain/record-types';
import { CrmOutboxRelay } from './records/infrastructure/crm-outbox.relay';
import { commandDuration } from './records/infrastructure/crm.metrics';
import { PostgresDecisionInputs } from './records/infrastructure/postgres-decision-inputs';
import { PostgresReadModelRebuilder } from './records/infrastructure/postgres-read-model-rebuilder';
import { PostgresRecordQueries } from './records/infrastructure/postgres-record-queries';
import { PostgresRecordStore } from './records/infrastructure/postgres-record-store';
import { CrmAdminController } from './records/interface/http/crm-admin.controller';
import { recordController } from './records/interface/http/record.controller';
import { ReportsController } from './reports/interface/http/reports.controller';
import { PostgresReportFacts } from './reports/infrastructure/postgres-report-facts';

/** Event-sourced contacts, companies, deals, activities, tasks and tickets. */
@Module({})
export class CrmModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    return {
      module: CrmModule,
      controllers: [
        ...AGGREGATE_TYPES.map(recordController),
        CrmAdminController,
        ImportsController,
        ReportsController,
        CdpViewConsumers,
      ],
      providers: [
        ...infrastructureProviders(infrastructure),
        {
          provide: PostgresDecisionInputs,
          inject: [POSTGRES],
          useFactory: (postgres: DataSource) => new PostgresDecisionInputs(postgres),
        },
        {
          provide: PostgresReadModelRebuilder,
          inject: [POSTGRES],
          useFactory: (postgres: DataSource) => new PostgresReadModelRebuilder(postgres),
        },
        {
          provide: PostgresReportFacts,
          inject: [POSTGRES],
          useFactory: (postgres: DataSource) => new PostgresReportFacts(postgres),
        },
        CrmOutboxRelay,
        {
          provide: RecordsService,
          inject: [POSTGRES, PostgresDecisionInputs, CrmOutboxRelay],
          useFactory: (
            postgres: DataSource,
            inputs: PostgresDecisionInputs,
            relay: CrmOutboxRelay,
          ) =>
            new RecordsService(
              new PostgresRecordStore(postgres),
              inputs,
              new PostgresRecordQueries(postgres),
              () => relay.kick(),
              (aggregate, outcome, seconds) =>
                commandDuration.observe({ aggregate, outcome }, seconds),
            ),
        },
        {
          provide: CDP_VIEW_STORE,
          inject: [POSTGRES],
          useFactory: (postgres: DataSource) => new PostgresCdpViewStore(postgres),
        },
        {
          provide: CdpViewService,
          inject: [CDP_VIEW_STORE, CLICKHOUSE],
          useFactory: (store: PostgresCdpViewStore, clickhouse: ClickHouseClient | undefined) =>
            new CdpViewService(
              store,
              clickhouse ? new ClickHouseRecentEvents(clickhouse) : undefined,
            ),
        },
        {
          provide: ImportRecordsUseCase,
          inject: [RecordsService, POSTGRES],
          useFactory: (records: RecordsService<{ version: number }>, postgres: DataSource) =>
            new ImportRecordsUseCase(records, new PostgresDedupLookup(postgres)),
        },
        CsvImportBodyParser,
      ],
    };
  }
}
