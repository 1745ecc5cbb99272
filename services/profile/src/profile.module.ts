import { type DynamicModule, Module } from '@nestjs/common';
import { infrastructureProviders, type ServiceInfrastructure } from '@cdp/runtime';

/** Unified customer profiles: traits with provenance, computed traits, timeline. */
@Module({})
export class ProfileModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    return { module: ProfileModule, providers: infrastructureProviders(infrastructure) };
  }
}
