import { SetMetadata } from '@nestjs/common';

/**
 * Metadata key marking a route (or controller) as reachable without credentials. The tenancy
 * guard skips routes that carry it; probes and scrapes have no API key.
 */
export const PUBLIC_ROUTE_KEY = 'cdp:public';

/** Marks a controller or handler as public (sets `PUBLIC_ROUTE_KEY` to true). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE_KEY, true);
