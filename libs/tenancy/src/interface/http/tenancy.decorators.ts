import {
  createParamDecorator,
  SetMetadata,
  type CustomDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import { type TenantContext } from '../../application/ports';
import { type Scope } from '../../domain/scopes';

export const REQUIRED_SCOPES_KEY = 'cdp.tenancy.scopes';

/** The request property where the guard puts the verified caller. */
export const TENANT_REQUEST_PROPERTY = 'tenant';

/** `@Public()` (no API key: health, metrics, docs, collection with write keys) is observability's: one marker for every guard. */
export { Public, PUBLIC_ROUTE_KEY as IS_PUBLIC_KEY } from '@cdp/observability';

/**
 * The key must hold every listed scope (on a class and a method, both lists apply).
 * A route with neither this nor `@Public()` still needs a valid key of any scope.
 */
export const RequireScopes = (...scopes: Scope[]): CustomDecorator =>
  SetMetadata(REQUIRED_SCOPES_KEY, scopes);

export interface TenantRequest {
  headers: Record<string, string | string[] | undefined>;
  [TENANT_REQUEST_PROPERTY]?: TenantContext;
}

/** The verified caller `{ workspaceId, keyId, scopes }` (401 on a public route without a key). */
export const CurrentTenant = createParamDecorator(
  (_data: unknown, context: ExecutionContext): TenantContext => {
    const tenant = context.switchToHttp().getRequest<TenantRequest>()[TENANT_REQUEST_PROPERTY];
    if (tenant === undefined)
      throw new DomainError('unauthenticated', 'auth.missing_api_key', 'an API key is required');
    return tenant;
  },
);
