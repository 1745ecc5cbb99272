import { Body, Controller, Get, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import {
  IdentityConfigService,
  type IdentityConfigView,
} from '../../application/identity-config.service';
import { parse } from './parse-request';

const typeName = z.string().min(1).max(40);
const path = z.string().min(1).max(200);
const blockRule = z.strictObject({
  kind: z.enum(['exact', 'regex']),
  pattern: z.string().min(1).max(200),
});
const perType = <T extends z.ZodType>(value: T) =>
  z.record(typeName, value).refine((r) => Object.keys(r).length <= 30, 'at most 30 types');

/**
 * The shape of `IdentityConfigInput`; `IdentityConfig.from` then checks what depends on the
 * whole (known types, lower_snake_case names, valid regexes, regions, limits) and names the
 * field of the first problem.
 */
const configBody = z.strictObject({
  customTypes: z
    .array(
      z.strictObject({
        type: typeName,
        class: z.enum(['known', 'anonymous']).optional(),
        paths: z.array(path).max(10).optional(),
      }),
    )
    .max(20)
    .optional(),
  priority: z.array(typeName).max(30).optional(),
  limits: perType(z.number().int()).optional(),
  paths: perType(z.array(path).max(10)).optional(),
  blockLists: perType(z.array(blockRule).max(200)).optional(),
  mergeProtection: z.boolean().optional(),
  defaultPhoneRegion: z.string().length(2).optional(),
  trustedSourceKinds: z.array(z.string().max(20)).max(6).optional(),
});

/** The identity rules of the caller's workspace (identifier types, priority, limits, ...). */
@ApiTags('identity')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks identity:read / identity:write' })
@Controller('v1/identity/config')
export class IdentityConfigController {
  constructor(private readonly configs: IdentityConfigService) {}

  @Get()
  @RequireScopes('identity:read')
  @ApiOkResponse({
    description:
      '{ workspaceId, version, updatedAt, config, effective }: the rules as set (version 0 = ' +
      'defaults) and the rules in force (types in priority order with limits, classes, paths, ' +
      'block lists)',
  })
  get(@CurrentTenant() tenant: TenantContext): Promise<IdentityConfigView> {
    return this.configs.view(tenant.workspaceId);
  }

  @Put()
  @RequireScopes('identity:write')
  @ApiOkResponse({ description: 'the new rules, as GET answers; they apply to later events' })
  @ApiBadRequestResponse({
    description: 'invalid rules: error.details.field names the field (limits.email, ...)',
  })
  put(@CurrentTenant() tenant: TenantContext, @Body() body: unknown): Promise<IdentityConfigView> {
    const input = parse(configBody, body ?? {}, '(body)');
    return this.configs.replace(tenant.workspaceId, input, tenant.keyId);
  }
}
