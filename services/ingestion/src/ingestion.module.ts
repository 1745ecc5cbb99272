import { type DynamicModule, Module } from '@nestjs/common';
import { infrastructureProviders, type ServiceInfrastructure } from '@cdp/runtime';
import { INGESTION_CONFIG, type IngestionConfig } from './config/ingestion.env';
import { INGESTION_FEATURES } from './features';

/** Collects events (Segment-compatible API, bulk import) and writes them to ClickHouse. */
@Module({})
export class IngestionModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    // The platform validated the environment against the service's schema already.
    const config = infrastructure.config as unknown as IngestionConfig;
    const features = INGESTION_FEATURES.filter((f) =>
      f.roles.some((role) => config.INGESTION_ROLES.includes(role)),
    );
    return {
      module: IngestionModule,
      controllers: features.flatMap((f) => f.controllers ?? []),
      providers: [
        ...infrastructureProviders(infrastructure),
        { provide: INGESTION_CONFIG, useValue: config },
        ...features.flatMap((f) => f.providers ?? []),
      ],
    };
  }
}
