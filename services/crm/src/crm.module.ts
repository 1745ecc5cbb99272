import { type DynamicModule, Module } from '@nestjs/common';
import { infrastructureProviders, type ServiceInfrastructure } from '@cdp/runtime';

/** Event-sourced contacts, companies, deals, activities, tasks and tickets. */
@Module({})
export class CrmModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    return { module: CrmModule, providers: infrastructureProviders(infrastructure) };
  }
}
