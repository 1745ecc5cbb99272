import type { DynamicModule } from '@nestjs/common';
import type { EnvSchema } from '@cdp/config';
import type { StreamSpec } from '@cdp/contracts';
import type { ServiceInfrastructure } from './infrastructure';

export const SERVICE_NAMES = [
  'ingestion',
  'identity',
  'profile',
  'segmentation',
  'crm',
  'activation',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A TypeORM migration class, as TypeORM takes them. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type
export type MigrationClass = Function;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own type
export type EntityClass = Function;

/**
 * Everything the runtime needs to host a service, in either run mode. A service describes what
 * it uses; the runtime connects to it, checks it for readiness and hands it to the module.
 */
export interface ServiceDefinition {
  readonly name: ServiceName;
  /** Port when the service runs alone (monolithic mode serves everything on one port). */
  readonly defaultPort: number;
  /** The full env schema of the service when it runs alone (validated at start). */
  readonly env: EnvSchema;
  readonly postgres: {
    readonly schema: string;
    readonly entities: readonly EntityClass[];
    readonly migrations: readonly MigrationClass[];
  };
  /** Set when the service reads or writes ClickHouse. */
  readonly clickhouse?: { readonly migrationsDir: string };
  /** Streams this service publishes to (created idempotently at start). */
  readonly streams: readonly StreamSpec[];
  /** Builds the Nest module of the service from its connected infrastructure. */
  module(infrastructure: ServiceInfrastructure): DynamicModule;
}
