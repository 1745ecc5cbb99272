import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@cdp/observability';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const projectionDuration = once(
  'profile_projection_duration_seconds',
  () =>
    new Histogram({
      name: 'profile_projection_duration_seconds',
      help: 'Duration of one projection step (a resolved batch, a merge, a split), by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [metricsRegistry],
    }),
);

export const eventsApplied = once(
  'profile_events_total',
  () =>
    new Counter({
      name: 'profile_events_total',
      help: 'Resolved events consumed, by outcome (applied, duplicate, no_profile)',
      labelNames: ['outcome'] as const,
      registers: [metricsRegistry],
    }),
);

export const updatesRelayed = once(
  'profile_outbox_relayed_total',
  () =>
    new Counter({
      name: 'profile_outbox_relayed_total',
      help: 'ProfileUpdated messages published from the outbox',
      registers: [metricsRegistry],
    }),
);
