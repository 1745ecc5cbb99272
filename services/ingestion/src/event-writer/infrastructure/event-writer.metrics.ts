import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '@cdp/observability';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const writerRowsInserted = once(
  'event_writer_rows_inserted_total',
  () =>
    new Counter({
      name: 'event_writer_rows_inserted_total',
      help: 'Rows the event writer inserted into ClickHouse events',
      registers: [metricsRegistry],
    }),
);

export const writerDuplicatesDropped = once(
  'event_writer_duplicates_dropped_total',
  () =>
    new Counter({
      name: 'event_writer_duplicates_dropped_total',
      help: 'Events dropped because their messageId was already written within the dedup window',
      registers: [metricsRegistry],
    }),
);

export const writerFlushDuration = once(
  'event_writer_flush_duration_seconds',
  () =>
    new Histogram({
      name: 'event_writer_flush_duration_seconds',
      help: 'Duration of one event-writer flush (claims, insert, commit), by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [metricsRegistry],
    }),
);

export const writerFlushRows = once(
  'event_writer_flush_rows',
  () =>
    new Histogram({
      name: 'event_writer_flush_rows',
      help: 'Rows per event-writer flush',
      buckets: [10, 100, 1000, 5000, 10000, 20000, 50000, 100000],
      registers: [metricsRegistry],
    }),
);

export const writerBufferRows = once(
  'event_writer_buffer_rows',
  () =>
    new Gauge({
      name: 'event_writer_buffer_rows',
      help: 'Rows buffered in memory waiting for the next flush',
      registers: [metricsRegistry],
    }),
);

export const writerEventsRefused = once(
  'event_writer_events_refused_total',
  () =>
    new Counter({
      name: 'event_writer_events_refused_total',
      help: 'Events ClickHouse refused even when inserted alone (their batches are dead-lettered)',
      registers: [metricsRegistry],
    }),
);
