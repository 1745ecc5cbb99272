import { Histogram } from 'prom-client';
import { metricsRegistry } from '@cdp/observability';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const evaluationDuration = once(
  'segmentation_input_duration_seconds',
  () =>
    new Histogram({
      name: 'segmentation_input_duration_seconds',
      help: 'Time to apply one real-time input message (projection update + re-evaluation), by input and outcome',
      labelNames: ['input', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metricsRegistry],
    }),
);
