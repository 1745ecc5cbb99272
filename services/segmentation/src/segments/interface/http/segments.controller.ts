import { Readable } from 'node:stream';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { DomainError } from '@cdp/contracts';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import { BatchEvaluator, type BatchSummary } from '../../application/batch-evaluator';
import { ManageSegmentsUseCase, validDefinition } from '../../application/manage-segments.use-case';
import { type StoredSegment } from '../../application/ports';
import { parseInstant } from '../../domain/duration';
import {
  decodeCursor,
  PostgresMembershipQueries,
  type MemberView,
} from '../../infrastructure/postgres-membership.queries';

const createBody = z.object({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  definition: z.unknown(),
});
const updateBody = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  definition: z.unknown().optional(),
  expectedVersion: z.number().int().min(1).optional(),
});
const previewBody = z.object({ definition: z.unknown() });
const membersQuery = z.object({
  at: z.string().optional(),
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

function parse<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : where;
  throw new DomainError('invalid', 'request.invalid', `${field}: ${issue?.message ?? 'invalid'}`, {
    field,
  });
}

function instant(at: string | undefined): number | undefined {
  if (at === undefined) return undefined;
  const ms = parseInstant(at);
  if (ms === undefined)
    throw new DomainError(
      'invalid',
      'request.invalid',
      'at: expected an ISO-8601 date or date-time',
      { field: 'at' },
    );
  return ms;
}

type SegmentView = Omit<StoredSegment, 'workspaceId'>;
function view(segment: StoredSegment): SegmentView {
  const { workspaceId: _ws, ...rest } = segment;
  return rest;
}

/**
 * Segments of the caller's workspace: definitions (versioned), preview, members now or at an
 * instant, CSV export and on-demand evaluation. Segments of another workspace are 404s.
 */
@ApiTags('segments')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks segments:read / segments:write' })
@Controller('v1/segments')
export class SegmentsController {
  constructor(
    private readonly segments: ManageSegmentsUseCase,
    private readonly batch: BatchEvaluator,
    private readonly members: PostgresMembershipQueries,
  ) {}

  @Get()
  @RequireScopes('segments:read')
  @ApiOkResponse({ description: '{ data: [segment] }' })
  async list(@CurrentTenant() tenant: TenantContext): Promise<{ data: SegmentView[] }> {
    return { data: (await this.segments.list(tenant.workspaceId)).map(view) };
  }

  @Post()
  @RequireScopes('segments:write')
  @ApiOkResponse({ description: 'the segment (version 1) and its first batch evaluation' })
  @ApiBadRequestResponse({
    description: 'invalid definition: details.issues lists { pointer, message }',
  })
  async create(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<SegmentView & { evaluation: BatchSummary }> {
    const input = parse(createBody, body, 'body');
    const { segment, evaluation } = await this.segments.create(tenant.workspaceId, input);
    return { ...view(segment), evaluation };
  }

  @Post('preview')
  @HttpCode(200)
  @RequireScopes('segments:read')
  @ApiOkResponse({
    description: '{ estimatedSize, evaluatedProfiles }: members the definition would have now',
  })
  async preview(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<{ estimatedSize: number; evaluatedProfiles: number }> {
    const definition = validDefinition(parse(previewBody, body, 'body').definition);
    const result = await this.batch.preview(tenant.workspaceId, definition);
    return { estimatedSize: result.size, evaluatedProfiles: result.evaluatedProfiles };
  }

  @Get(':id')
  @RequireScopes('segments:read')
  @ApiNotFoundResponse()
  async get(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<SegmentView> {
    return view(await this.segments.get(tenant.workspaceId, id));
  }

  @Patch(':id')
  @RequireScopes('segments:write')
  @ApiOkResponse({
    description: 'the segment; a changed definition makes a new version and re-evaluates',
  })
  @ApiNotFoundResponse()
  async update(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<SegmentView & { evaluation?: BatchSummary }> {
    const { segment, evaluation } = await this.segments.update(
      tenant.workspaceId,
      id,
      parse(updateBody, body, 'body'),
    );
    return { ...view(segment), ...(evaluation ? { evaluation } : {}) };
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('segments:write')
  @ApiNotFoundResponse()
  async remove(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<void> {
    await this.segments.delete(tenant.workspaceId, id);
  }

  @Post(':id/evaluate')
  @HttpCode(200)
  @RequireScopes('segments:write')
  @ApiOkResponse({ description: 'batch evaluation summary' })
  @ApiNotFoundResponse()
  async evaluate(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<BatchSummary> {
    return this.batch.evaluateSegment(await this.segments.get(tenant.workspaceId, id));
  }

  @Get(':id/members')
  @RequireScopes('segments:read')
  @ApiQuery({ name: 'at', required: false, description: 'ISO instant: members at that time' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false })
  @ApiOkResponse({ description: '{ data: [{ profileId, enteredAt, exitedAt }], nextCursor }' })
  @ApiNotFoundResponse()
  async list_members(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: MemberView[]; nextCursor: string | null }> {
    const q = parse(membersQuery, query, 'query');
    await this.segments.get(tenant.workspaceId, id);
    const at = instant(q.at);
    return this.members.page(tenant.workspaceId, id, {
      ...(at !== undefined ? { at } : {}),
      ...(q.cursor ? { after: decodeCursor(q.cursor) } : {}),
      limit: q.limit ?? 100,
    });
  }

  @Get(':id/export')
  @RequireScopes('segments:read')
  @ApiQuery({ name: 'at', required: false })
  @ApiOkResponse({ description: 'text/csv: profile_id,entered_at (streamed)' })
  @ApiNotFoundResponse()
  async export(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const q = parse(membersQuery, query, 'query');
    await this.segments.get(tenant.workspaceId, id);
    const at = instant(q.at);
    const pages = this.members.all(tenant.workspaceId, id, at);
    async function* csv(): AsyncIterable<string> {
      yield 'profile_id,entered_at\n';
      for await (const page of pages)
        yield page.map((m) => `${csvField(m.profileId)},${m.enteredAt}\n`).join('');
    }
    await reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="segment-${id}.csv"`)
      .send(Readable.from(csv()));
  }
}

function csvField(value: string): string {
  // Quote when needed, and defuse spreadsheet formulas (=, +, -, @ at the start).
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
