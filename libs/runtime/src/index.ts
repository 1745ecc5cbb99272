export {
  SERVICE_NAMES,
  type ServiceName,
  type ServiceDefinition,
  type MigrationClass,
  type EntityClass,
} from './service-definition';
export { selectServices } from './select-services';
export { POSTGRES, CLICKHOUSE, NATS_CONNECTION, NAMESPACE, SERVICE_CONFIG } from './tokens';
export {
  type ServiceInfrastructure,
  type PlatformInfrastructure,
  type ReadinessCheck,
  openInfrastructure,
} from './infrastructure';
export { DependencyUnavailableError, redact } from './dependency-errors';
export {
  startPlatform,
  closeOnSignals,
  platformEnvSchema,
  type PlatformOptions,
  type RunningPlatform,
} from './platform';
export { runMain } from './run-main';
export { infrastructureProviders } from './infrastructure-providers';
export { serviceEnv } from './service-env';
export { inboxMigration, processOnce } from './inbox';
export {
  OutboxRelay,
  publishOutboxRows,
  type OutboxRelayOptions,
  type OutboxRow,
  type PublishableOutboxRow,
} from './outbox-relay';
export {
  startTestPlatform,
  type PublishedMessage,
  type TestPlatform,
  type TestTenant,
} from './test-platform';
