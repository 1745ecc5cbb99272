import { type DynamicModule, Module } from '@nestjs/common';
import { infrastructureProviders, type ServiceInfrastructure } from '@cdp/runtime';

/** Destinations, journeys, durable timers and deliveries. */
@Module({})
export class ActivationModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    return { module: ActivationModule, providers: infrastructureProviders(infrastructure) };
  }
}
