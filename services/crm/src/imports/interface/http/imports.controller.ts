import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import { actorOf } from '../../../records/interface/http/http-input';
import { ImportRecordsUseCase, type ImportReport } from '../../application/import-records.use-case';
import { csvText } from './csv-body-parser';

const REPORT =
  '{ rows, created, updated, unchanged, rejected: [{ line, code, message, field }], ignoredColumns }';

/** CSV imports of contacts (dedup by email) and companies (dedup by domain). */
@ApiTags('crm')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks crm:write' })
@Controller('v1/crm')
export class ImportsController {
  constructor(@Inject(ImportRecordsUseCase) private readonly imports: ImportRecordsUseCase) {}

  @Post('contacts/import')
  @HttpCode(200)
  @RequireScopes('crm:write')
  @ApiConsumes('text/csv', 'application/json')
  @ApiOkResponse({ description: REPORT })
  @ApiBadRequestResponse({ description: 'not a CSV, no header, no known column' })
  async importContacts(
    @CurrentTenant() tenant: TenantContext,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
  ): Promise<ImportReport> {
    return this.imports.importCsv(
      tenant.workspaceId,
      'contact',
      await csvText(body),
      actorOf(tenant, request, 'import'),
    );
  }

  @Post('companies/import')
  @HttpCode(200)
  @RequireScopes('crm:write')
  @ApiConsumes('text/csv', 'application/json')
  @ApiOkResponse({ description: REPORT })
  @ApiBadRequestResponse({ description: 'not a CSV, no header, no known column' })
  async importCompanies(
    @CurrentTenant() tenant: TenantContext,
    @Req() request: FastifyRequest,
    @Body() body: unknown,
  ): Promise<ImportReport> {
    return this.imports.importCsv(
      tenant.workspaceId,
      'company',
      await csvText(body),
      actorOf(tenant, request, 'import'),
    );
  }
}
