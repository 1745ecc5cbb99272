import { serviceDefinition as activation } from '@cdp/service-activation';
import { serviceDefinition as crm } from '@cdp/service-crm';
import { serviceDefinition as identity } from '@cdp/service-identity';
import { serviceDefinition as ingestion } from '@cdp/service-ingestion';
import { serviceDefinition as profile } from '@cdp/service-profile';
import { serviceDefinition as segmentation } from '@cdp/service-segmentation';
import type { ServiceDefinition, ServiceName } from '@cdp/runtime';

/** Every service the platform has, by name: the only place that lists them all. */
export const ALL_SERVICES: Readonly<Record<ServiceName, ServiceDefinition>> = {
  ingestion,
  identity,
  profile,
  segmentation,
  crm,
  activation,
};

export function definitionsFor(names: readonly ServiceName[]): ServiceDefinition[] {
  return names.map((name) => ALL_SERVICES[name]);
}
