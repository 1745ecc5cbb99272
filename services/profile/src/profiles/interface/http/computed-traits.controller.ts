import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import {
  DefineComputedTraitUseCase,
  type DefinitionRepository,
} from '../../application/define-computed-trait.use-case';
import { AGGREGATIONS, type CustomTraitDefinition } from '../../domain/custom-trait';
import { parse } from './http-input';

export const DEFINITIONS = Symbol.for('cdp.profile.definitions');

const definitionBody = z
  .object({
    key: z.string().min(1).max(63),
    aggregation: z.enum(AGGREGATIONS),
    event: z.string().min(1).max(200),
    property: z.string().min(1).max(500).optional(),
    windowDays: z.number().int().optional(),
  })
  .strict();

/** Custom computed traits (`computed.<key>` on every profile of the workspace). */
@ApiTags('profiles')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks profiles:read / profiles:write' })
@Controller('v1/computed-traits')
export class ComputedTraitsController {
  constructor(
    private readonly define: DefineComputedTraitUseCase,
    @Inject(DEFINITIONS) private readonly definitions: DefinitionRepository,
  ) {}

  @Get()
  @RequireScopes('profiles:read')
  @ApiOkResponse({ description: '{ data: [definition] }' })
  async list(
    @CurrentTenant() tenant: TenantContext,
  ): Promise<{ data: readonly CustomTraitDefinition[] }> {
    return { data: await this.definitions.definitions(tenant.workspaceId) };
  }

  @Post()
  @RequireScopes('profiles:write')
  @ApiCreatedResponse({
    description:
      '{ definition, backfilled }: body { key, aggregation: count|sum|min|max|first|last|' +
      'unique_count, event, property?, windowDays? }; existing profiles are backfilled from ' +
      'their facts before the answer',
  })
  @ApiConflictResponse({ description: 'the key exists' })
  create(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<{ definition: CustomTraitDefinition; backfilled: number }> {
    const input = parse(definitionBody, body, '(body)');
    const definition: CustomTraitDefinition = {
      key: input.key,
      aggregation: input.aggregation,
      event: input.event,
      ...(input.property !== undefined ? { property: input.property } : {}),
      ...(input.windowDays !== undefined ? { windowDays: input.windowDays } : {}),
    };
    return this.define.execute({ workspaceId: tenant.workspaceId, definition });
  }

  @Delete(':key')
  @HttpCode(204)
  @RequireScopes('profiles:write')
  @ApiNotFoundResponse()
  remove(@CurrentTenant() tenant: TenantContext, @Param('key') key: string): Promise<void> {
    return this.definitions.remove(tenant.workspaceId, key);
  }
}
