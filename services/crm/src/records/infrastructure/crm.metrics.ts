import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@cdp/observability';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const outboxRelayed = once(
  'crm_outbox_relayed_total',
  () =>
    new Counter({
      name: 'crm_outbox_relayed_total',
      help: 'CRM events published from crm.outbox to JetStream',
      registers: [metricsRegistry],
    }),
);

export const commandDuration = once(
  'crm_command_duration_seconds',
  () =>
    new Histogram({
      name: 'crm_command_duration_seconds',
      help: 'Duration of one CRM command (load, decide, append + projections), by aggregate and outcome',
      labelNames: ['aggregate', 'outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [metricsRegistry],
    }),
);

export const cdpMessagesTotal = once(
  'crm_cdp_messages_total',
  () =>
    new Counter({
      name: 'crm_cdp_messages_total',
      help: 'CDP messages applied to contacts’ CDP view, by kind and outcome (applied, duplicate, ignored)',
      labelNames: ['kind', 'outcome'] as const,
      registers: [metricsRegistry],
    }),
);

export const cdpMessageDuration = once(
  'crm_cdp_message_duration_seconds',
  () =>
    new Histogram({
      name: 'crm_cdp_message_duration_seconds',
      help: 'Duration of one CDP-view consumer call, by kind',
      labelNames: ['kind'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [metricsRegistry],
    }),
);
