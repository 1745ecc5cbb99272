import { Body, Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError } from '@cdp/contracts';
import { POSTGRES } from '@cdp/runtime';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import {
  CUSTOM_FIELD_TYPES,
  validateDefinition,
  type CustomFieldDefinition,
} from '../../domain/custom-fields';
import { CUSTOMIZABLE_TYPES } from '../../domain/record-types';
import { PostgresDecisionInputs } from '../../infrastructure/postgres-decision-inputs';
import { PostgresReadModelRebuilder } from '../../infrastructure/postgres-read-model-rebuilder';
import { type RebuildResult } from '../../application/read-model-rebuilder.port';
import { parse } from './http-input';

const definitionBody = z.object({
  objectType: z.enum(CUSTOMIZABLE_TYPES),
  key: z.string().min(1).max(63),
  label: z.string().max(200).optional(),
  type: z.enum(CUSTOM_FIELD_TYPES),
  options: z.array(z.string().max(200)).max(200).optional(),
  currency: z.string().max(3).optional(),
  required: z.boolean().optional(),
});
const rebuildBody = z.object({ verifyOnly: z.boolean().optional() });

/** Custom field definitions and the read-model rebuild of the caller's workspace. */
@ApiTags('crm')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks crm:read / crm:write' })
@Controller('v1/crm')
export class CrmAdminController {
  constructor(
    @Inject(POSTGRES) private readonly postgres: DataSource,
    private readonly inputs: PostgresDecisionInputs,
    private readonly rebuilder: PostgresReadModelRebuilder,
  ) {}

  @Get('custom-fields')
  @RequireScopes('crm:read')
  @ApiOkResponse({
    description: '{ data: [{ objectType, key, label, type, options, currency, required }] }',
  })
  async listCustomFields(
    @CurrentTenant() tenant: TenantContext,
  ): Promise<{ data: readonly CustomFieldDefinition[] }> {
    return { data: await this.inputs.loadDefinitions(tenant.workspaceId) };
  }

  @Post('custom-fields')
  @RequireScopes('crm:write')
  @ApiCreatedResponse({
    description: `the definition: ${CUSTOM_FIELD_TYPES.join(', ')}; values are validated on every write and filterable as filter.cf.<key>`,
  })
  @ApiBadRequestResponse({ description: 'invalid key, type, options or currency' })
  @ApiConflictResponse({ description: 'crm.custom_field_exists' })
  async createCustomField(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<CustomFieldDefinition> {
    const input = parse(definitionBody, body ?? {}, '(body)');
    const definition = validateDefinition({
      objectType: input.objectType,
      key: input.key,
      label: input.label ?? input.key,
      type: input.type,
      options: input.options ?? [],
      currency: input.currency?.toUpperCase() ?? null,
      required: input.required ?? false,
    });
    const rows = await this.postgres.query<unknown[]>(
      `INSERT INTO crm.custom_fields
         (workspace_id, object_type, key, label, type, options, currency, required)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING key`,
      [
        tenant.workspaceId,
        definition.objectType,
        definition.key,
        definition.label,
        definition.type,
        definition.options,
        definition.currency,
        definition.required,
      ],
    );
    if (rows.length === 0)
      throw new DomainError(
        'conflict',
        'crm.custom_field_exists',
        `${definition.objectType} already has a custom field "${definition.key}"`,
      );
    this.inputs.invalidate(tenant.workspaceId);
    return definition;
  }

  @Post('rebuild')
  @HttpCode(200)
  @RequireScopes('crm:write')
  @ApiOkResponse({
    description:
      '{ events, aggregates, tables: { <table>: { live, rebuilt } }, equal, differences, verifyOnly }: ' +
      'the read models re-projected from crm.events and compared with the live ones ' +
      '(verifyOnly: true rolls the rebuild back)',
  })
  async rebuild(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<RebuildResult> {
    const input = parse(rebuildBody, body ?? {}, '(body)');
    return this.rebuilder.rebuild(tenant.workspaceId, { verifyOnly: input.verifyOnly ?? false });
  }
}
