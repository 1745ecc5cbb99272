import { type DynamicModule, Module } from '@nestjs/common';
import { infrastructureProviders, type ServiceInfrastructure } from '@cdp/runtime';

/** Collects events (Segment-compatible API, bulk import) and writes them to ClickHouse. */
@Module({})
export class IngestionModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    return { module: IngestionModule, providers: infrastructureProviders(infrastructure) };
  }
}
