export { rootLogger, createLogger, type Logger } from './logger';
export {
  metricsRegistry,
  httpRequestDuration,
  messagesConsumed,
  messageHandlerDuration,
  consumerLag,
  messagesPublished,
  readinessCheckUp,
} from './metrics';
export { injectTraceContext, extractTraceContext, type HeaderCarrier } from './trace-context';
export {
  startTelemetry,
  tracer,
  withSpan,
  isUntracedPath,
  SpanKind,
  type TelemetryOptions,
  type TelemetryExporter,
  type TelemetryHandle,
  type MemorySpanExporter,
  type FinishedSpan,
} from './telemetry';
export { PUBLIC_ROUTE_KEY, Public } from './nest/public-route';
export { PinoNestLogger } from './nest/pino-nest-logger';
export {
  HealthRegistry,
  type ReadinessCheck,
  type ReadinessReport,
  type CheckResult,
  type CheckUp,
  type CheckDown,
  type HealthRegistryOptions,
  type RegisterOptions,
  type ScopedHealthRegistry,
} from './nest/health-registry';
export { HealthController } from './nest/health.controller';
export { MetricsController } from './nest/metrics.controller';
export { installHttpMetrics, routeTemplate, UNMATCHED_ROUTE } from './nest/http-metrics';
export { ObservabilityModule, type ObservabilityModuleOptions } from './nest/observability.module';
