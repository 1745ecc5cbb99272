import type { Provider, Type } from '@nestjs/common';
import type { EntityClass, MigrationClass } from '@cdp/runtime';
import type { IngestionRole } from './config/ingestion.env';

/**
 * A feature of the ingestion service (sources, collection, imports, the event writer...). The
 * service module hosts the features whose role this process plays, so the event writer can run
 * as its own Deployment from the same image (INGESTION_ROLES=writer).
 */
export interface IngestionFeature {
  readonly name: string;
  readonly roles: readonly IngestionRole[];
  readonly controllers?: readonly Type[];
  readonly providers?: readonly Provider[];
  /** Postgres migrations and entities of the feature (schema `ingestion`). */
  readonly migrations?: readonly MigrationClass[];
  readonly entities?: readonly EntityClass[];
}
