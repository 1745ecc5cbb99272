import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@cdp/contracts';
import { KeyVerifier } from '../../application/key-verifier';
import { hasScope, type Scope } from '../../domain/scopes';
import {
  IS_PUBLIC_KEY,
  REQUIRED_SCOPES_KEY,
  TENANT_REQUEST_PROPERTY,
  type TenantRequest,
} from './tenancy.decorators';

function header(request: TenantRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `Authorization: Bearer <key>` (scheme case-insensitive), else `x-api-key: <key>`. */
export function extractApiKey(request: TenantRequest): string | undefined {
  const authorization = header(request, 'authorization');
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] !== undefined) return match[1];
  }
  const apiKey = header(request, 'x-api-key')?.trim();
  return apiKey === undefined || apiKey.length === 0 ? undefined : apiKey;
}

/**
 * Global guard: every HTTP route needs a valid secret API key unless `@Public()`; scopes from
 * `@RequireScopes()` are checked after authentication (401 before 403). Non-HTTP contexts
 * (message handlers) are not keyed and pass through.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: KeyVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true)
      return true;

    const request = context.switchToHttp().getRequest<TenantRequest>();
    const tenant = await this.verifier.verify(extractApiKey(request));
    const required = this.reflector.getAllAndMerge<Scope[]>(REQUIRED_SCOPES_KEY, targets);
    const missing = required.filter((scope) => !hasScope(tenant.scopes, scope));
    if (missing.length > 0) {
      throw new DomainError(
        'forbidden',
        'auth.missing_scope',
        `this API key lacks scope ${missing.join(', ')}`,
        { required, missing },
      );
    }
    request[TENANT_REQUEST_PROPERTY] = tenant;
    return true;
  }
}
