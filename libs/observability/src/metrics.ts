import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One Prometheus registry per process. In monolithic mode several services share a process, so
 * every metric carries a `service` label instead of living in per-service registries.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const httpRequestDuration = once(
  'http_request_duration_seconds',
  () =>
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [metricsRegistry],
    }),
);

export const messagesConsumed = once(
  'messaging_messages_consumed_total',
  () =>
    new Counter({
      name: 'messaging_messages_consumed_total',
      help: 'Messages handled by consumers, by outcome (ack, retry, dead_letter)',
      labelNames: ['consumer', 'outcome'] as const,
      registers: [metricsRegistry],
    }),
);

export const messageHandlerDuration = once(
  'messaging_handler_duration_seconds',
  () =>
    new Histogram({
      name: 'messaging_handler_duration_seconds',
      help: 'Time spent in a message handler',
      labelNames: ['consumer', 'outcome'] as const,
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [metricsRegistry],
    }),
);

export const consumerLag = once(
  'messaging_consumer_lag_messages',
  () =>
    new Gauge({
      name: 'messaging_consumer_lag_messages',
      help: 'Messages in the stream not yet delivered to the consumer (num_pending)',
      labelNames: ['stream', 'consumer'] as const,
      registers: [metricsRegistry],
    }),
);

export const messagesPublished = once(
  'messaging_messages_published_total',
  () =>
    new Counter({
      name: 'messaging_messages_published_total',
      help: 'Messages published to JetStream, by outcome (stored, duplicate, failed)',
      labelNames: ['stream', 'outcome'] as const,
      registers: [metricsRegistry],
    }),
);

export const readinessCheckUp = once(
  'readiness_check_up',
  () =>
    new Gauge({
      name: 'readiness_check_up',
      help: 'Last result of a readiness check (1 up, 0 down), by check name (`identity.postgres`)',
      labelNames: ['check'] as const,
      registers: [metricsRegistry],
    }),
);
