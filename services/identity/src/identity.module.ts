import { type DynamicModule, Module } from '@nestjs/common';
import { infrastructureProviders, type ServiceInfrastructure } from '@cdp/runtime';

/** Resolves identifiers into one profile per person; owns the identity graph. */
@Module({})
export class IdentityModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    return { module: IdentityModule, providers: infrastructureProviders(infrastructure) };
  }
}
