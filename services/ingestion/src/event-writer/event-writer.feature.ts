import type { IngestionFeature } from '../ingestion-feature';
import { CLICKHOUSE } from '@cdp/runtime';
import type { ClickHouseClient } from '@cdp/persistence';
import { EVENT_STORE } from './application/event-store.port';
import { EventWriterService } from './application/event-writer.service';
import { ClickHouseEventStore } from './infrastructure/clickhouse-event-store';
import { AcceptedEventsConsumer } from './interface/messaging/accepted-events.consumer';

/** Consumes accepted events and writes them to the ClickHouse `events` table, once each. */
export const eventWriterFeature: IngestionFeature = {
  name: 'event-writer',
  roles: ['writer'],
  controllers: [AcceptedEventsConsumer],
  providers: [
    {
      provide: EVENT_STORE,
      inject: [CLICKHOUSE],
      useFactory: (clickhouse: ClickHouseClient | undefined) => {
        if (!clickhouse) throw new Error('the event writer needs CLICKHOUSE_URL');
        return new ClickHouseEventStore(clickhouse, { statementTimeoutMs: 20_000 });
      },
    },
    EventWriterService,
  ],
};
