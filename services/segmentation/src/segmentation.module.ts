import { type DynamicModule, Module } from '@nestjs/common';
import { infrastructureProviders, type ServiceInfrastructure } from '@cdp/runtime';

/** Audiences over traits, behavior and CRM data, in real time and batch. */
@Module({})
export class SegmentationModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    return { module: SegmentationModule, providers: infrastructureProviders(infrastructure) };
  }
}
