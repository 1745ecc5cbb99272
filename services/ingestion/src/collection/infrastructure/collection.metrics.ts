import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@cdp/observability';
import type { CollectionMetrics } from '../application/accepted-event-sink.port';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const eventsAccepted = once(
  'ingestion_events_accepted_total',
  () =>
    new Counter({
      name: 'ingestion_events_accepted_total',
      help: 'Events accepted by the collection API and stored in JetStream',
      registers: [metricsRegistry],
    }),
);

export const eventsRejected = once(
  'ingestion_events_rejected_total',
  () =>
    new Counter({
      name: 'ingestion_events_rejected_total',
      help: 'Events (or requests) refused by the collection API, by reason',
      labelNames: ['reason'] as const,
      registers: [metricsRegistry],
    }),
);

export const requestBatchSize = once(
  'ingestion_request_events',
  () =>
    new Histogram({
      name: 'ingestion_request_events',
      help: 'Events per collection request',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers: [metricsRegistry],
    }),
);

/** Prometheus implementation of the collection counters. */
@Injectable()
export class PrometheusCollectionMetrics implements CollectionMetrics {
  accepted(count: number): void {
    eventsAccepted.inc(count);
  }
  rejected(reason: string, count: number): void {
    eventsRejected.inc({ reason }, count);
  }
  requestSize(events: number): void {
    requestBatchSize.observe(events);
  }
}
