import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@cdp/observability';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const resolutionsTotal = once(
  'identity_resolutions_total',
  () =>
    new Counter({
      name: 'identity_resolutions_total',
      help: 'Events resolved by the identity consumer, by outcome (created, attached, merged, unchanged, ignored)',
      labelNames: ['outcome'] as const,
      registers: [metricsRegistry],
    }),
);

export const resolutionDuration = once(
  'identity_resolution_duration_seconds',
  () =>
    new Histogram({
      name: 'identity_resolution_duration_seconds',
      help: 'Duration of one event resolution (locks, snapshot, plan, apply, re-plans)',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metricsRegistry],
    }),
);

export const outboxRelayed = once(
  'identity_outbox_relayed_total',
  () =>
    new Counter({
      name: 'identity_outbox_relayed_total',
      help: 'Outbox rows relayed (event = ProfileMerged/ProfileSplit published, identity_map = ClickHouse rows batch)',
      labelNames: ['kind'] as const,
      registers: [metricsRegistry],
    }),
);

export const batchDuration = once(
  'identity_batch_duration_seconds',
  () =>
    new Histogram({
      name: 'identity_batch_duration_seconds',
      help: 'Duration of one coalesced micro-batch resolution (one transaction), by outcome (ok, error)',
      labelNames: ['outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metricsRegistry],
    }),
);

export const batchEvents = once(
  'identity_batch_events',
  () =>
    new Histogram({
      name: 'identity_batch_events',
      help: 'Events per coalesced micro-batch resolution',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 4000],
      registers: [metricsRegistry],
    }),
);
