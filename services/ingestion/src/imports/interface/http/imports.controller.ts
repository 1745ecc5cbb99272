import { Readable } from 'node:stream';
import {
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@cdp/contracts';
import { ZodValidationPipe } from '@cdp/http';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import { CreateImportJobUseCase } from '../../application/create-import-job.use-case';
import { ImportJobsQuery } from '../../application/import-jobs.query';
import { RunImportUseCase } from '../../application/run-import.use-case';
import { formatOfMediaType, IMPORT_MEDIA_TYPES } from './import-body-parsers';
import {
  CreateImportDto,
  createImportSchema,
  dataQuerySchema,
  getImportQuerySchema,
  importJobDetailDto,
  ImportJobDetailDto,
  ImportJobDto,
  importJobDto,
  ImportJobListDto,
  listImportsQuerySchema,
  uploadQuerySchema,
  type DataQuery,
  type GetImportQuery,
  type ListImportsQuery,
} from './imports.dto';

/**
 * Bulk imports of CSV / NDJSON files into a source. Two ways:
 * - one request: `POST /v1/imports?sourceId=…` with the file as a `text/csv` or
 *   `application/x-ndjson` body; it answers when the file is processed;
 * - two steps (progress from the start): `POST /v1/imports` with JSON metadata creates the job,
 *   `PUT /v1/imports/:id/data` streams the file; `GET /v1/imports/:id` shows progress meanwhile.
 */
@ApiTags('imports')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing or invalid API key' })
@ApiForbiddenResponse({ description: 'the key lacks events:write / events:read' })
@Controller('v1/imports')
export class ImportsController {
  constructor(
    private readonly createJob: CreateImportJobUseCase,
    private readonly runImport: RunImportUseCase,
    private readonly jobs: ImportJobsQuery,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('events:write')
  @ApiOperation({
    summary: 'Create an import job (JSON body), or upload and run one (CSV/NDJSON body)',
    description:
      'With `application/json`: creates a queued job; send the file with PUT /v1/imports/{id}/data. ' +
      'With `text/csv` or `application/x-ndjson` (optionally gzipped): query `sourceId`, `mapping` ' +
      '(URL-encoded JSON), `skipLines`; the file is streamed and processed, and the response is the final job ' +
      '(header `X-Import-Id`). The job is listed by GET /v1/imports while it runs.',
  })
  @ApiConsumes('application/json', ...IMPORT_MEDIA_TYPES)
  @ApiBody({ type: CreateImportDto })
  @ApiCreatedResponse({ type: ImportJobDto })
  @ApiNotFoundResponse({ description: 'no such source in the workspace' })
  async create(
    @CurrentTenant() tenant: TenantContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query() query: Record<string, unknown>,
    @Headers('content-type') contentType: string | undefined,
  ): Promise<ImportJobDto> {
    const body: unknown = request.body;
    if (!(body instanceof Readable)) {
      const parsed = new ZodValidationPipe(createImportSchema).transform(body);
      return importJobDto(
        await this.createJob.execute({ workspaceId: tenant.workspaceId, ...parsed }),
      );
    }
    const upload = new ZodValidationPipe(uploadQuerySchema).transform(query);
    const format = upload.format ?? formatOfMediaType(contentType) ?? 'ndjson';
    const job = await this.createJob.execute({
      workspaceId: tenant.workspaceId,
      sourceId: upload.sourceId,
      format,
      ...(upload.mapping ? { mapping: upload.mapping } : {}),
    });
    void reply.header('x-import-id', job.id).header('location', `/v1/imports/${job.id}`);
    const done = await this.runImport.execute({
      workspaceId: tenant.workspaceId,
      jobId: job.id,
      body,
      ...(upload.skipLines !== undefined ? { skipLines: upload.skipLines } : {}),
    });
    return importJobDto(done);
  }

  @Put(':id/data')
  @RequireScopes('events:write')
  @ApiOperation({
    summary: 'Stream the file of a queued (or failed: resume) import and process it',
    description:
      'Body: the file (`text/csv`, `application/x-ndjson`; gzip detected). Rows on lines ≤ `skipLines` are not ' +
      'sent again (default for a failed job: where it stopped). Answers with the final job; 503 (with ' +
      '`details.resumeAfterLine`) when events cannot be stored, 409 when the job is running or completed.',
  })
  @ApiConsumes(...IMPORT_MEDIA_TYPES)
  @ApiOkResponse({ type: ImportJobDto })
  @ApiNotFoundResponse()
  async upload(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Req() request: FastifyRequest,
    @Query(new ZodValidationPipe(dataQuerySchema)) query: DataQuery,
  ): Promise<ImportJobDto> {
    // The job (404 for another workspace's) is checked before the body's type.
    await this.jobs.get(tenant.workspaceId, id, { afterLine: 0, limit: 0 });
    const body: unknown = request.body;
    if (!(body instanceof Readable))
      throw new DomainError(
        'unsupported',
        'import.unsupported_media_type',
        `send the file as ${IMPORT_MEDIA_TYPES.join(' or ')}`,
      );
    const done = await this.runImport.execute({
      workspaceId: tenant.workspaceId,
      jobId: id,
      body,
      ...(query.skipLines !== undefined ? { skipLines: query.skipLines } : {}),
    });
    return importJobDto(done);
  }

  @Get()
  @RequireScopes('events:read')
  @ApiOkResponse({ type: ImportJobListDto })
  async list(
    @CurrentTenant() tenant: TenantContext,
    @Query(new ZodValidationPipe(listImportsQuerySchema)) query: ListImportsQuery,
  ): Promise<ImportJobListDto> {
    return { data: (await this.jobs.list(tenant.workspaceId, query.limit)).map(importJobDto) };
  }

  @Get(':id')
  @RequireScopes('events:read')
  @ApiOperation({ summary: 'Progress of an import and its rejected rows (by line, paged)' })
  @ApiOkResponse({ type: ImportJobDetailDto })
  @ApiNotFoundResponse()
  async get(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Query(new ZodValidationPipe(getImportQuerySchema)) query: GetImportQuery,
  ): Promise<ImportJobDetailDto> {
    const { job, rejections } = await this.jobs.get(tenant.workspaceId, id, {
      afterLine: query.rejectionsAfterLine,
      limit: query.rejectionsLimit,
    });
    return importJobDetailDto(job, rejections, query.rejectionsLimit);
  }
}
