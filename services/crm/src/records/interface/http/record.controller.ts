import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
  type Type,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import { parseListQuery } from '../../application/record-list-query';
import { RecordsService } from '../../application/records.service';
import { type RecordCommand } from '../../domain/crm-record';
import { COLLECTION, TICKET_STATUSES, type AggregateType } from '../../domain/record-types';
import {
  ImportRecordsUseCase,
  MAX_BATCH_ITEMS,
  type BatchItemResult,
} from '../../../imports/application/import-records.use-case';
import { type RecordView } from '../../infrastructure/postgres-record-queries';
import { CdpViewService } from '../../../cdp-view/application/cdp-view.service';
import {
  actorOf,
  etag,
  expectedVersion,
  expectedVersionSchema,
  parse,
  recordInput,
} from './http-input';

const batchBody = z.object({
  items: z.array(z.record(z.string(), z.json())).min(1).max(MAX_BATCH_ITEMS),
});
const versionOnly = z.object({ expectedVersion: expectedVersionSchema }).loose();
const stageMove = z.object({
  stageId: z.string().min(1).max(100),
  closeReason: z.string().max(1000).optional(),
  expectedVersion: expectedVersionSchema,
});
const statusChange = z.object({
  status: z.enum(TICKET_STATUSES),
  expectedVersion: expectedVersionSchema,
});

type Records = RecordsService<RecordView>;

/**
 * The REST resource of one aggregate type under `/v1/crm/<collection>`: create, get (with an
 * ETag), partial update (If-Match / expectedVersion → 409 when stale), archive/restore, list
 * (filters, sort, search, cursor) and history. Commands specific to a type (stage moves, task
 * completion, ticket status) are added by the subclasses below.
 */
export function recordController(type: AggregateType): Type<unknown> {
  const collection = COLLECTION[type];

  @ApiTags('crm')
  @ApiBearerAuth()
  @ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
  @ApiForbiddenResponse({ description: 'the key lacks crm:read / crm:write' })
  @Controller(`v1/crm/${collection}`)
  class RecordController {
    constructor(
      @Inject(RecordsService) readonly records: Records,
      @Inject(CdpViewService) readonly cdp: CdpViewService,
      @Inject(ImportRecordsUseCase) readonly imports: ImportRecordsUseCase,
    ) {}

    @Post('batch')
    @HttpCode(200)
    @RequireScopes('crm:write')
    @ApiOkResponse({
      description:
        '{ data: [{ index, outcome: created|updated|unchanged|rejected, id, error }] }: each item ' +
        '(≤ 500) is upserted by its externalId, on its own (a rejected item writes nothing)',
    })
    @ApiBadRequestResponse({ description: 'not { items: [...] }' })
    async batch(
      @CurrentTenant() tenant: TenantContext,
      @Req() request: FastifyRequest,
      @Body() body: unknown,
    ): Promise<{ data: BatchItemResult[] }> {
      const { items } = parse(batchBody, body ?? {}, '(body)');
      return {
        data: await this.imports.batchUpsert(
          tenant.workspaceId,
          type,
          items,
          actorOf(tenant, request, 'import'),
        ),
      };
    }

    @Post()
    @RequireScopes('crm:write')
    @ApiCreatedResponse({ description: `the created ${type} (ETag: its version)` })
    @ApiBadRequestResponse({ description: 'invalid field, unknown reference, broken rule' })
    async create(
      @CurrentTenant() tenant: TenantContext,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
      @Body() body: unknown,
    ): Promise<RecordView> {
      const input = recordInput(body);
      const view = await this.records.executeAndView(
        tenant.workspaceId,
        type,
        undefined,
        { kind: 'create', fields: input.fields, customFields: input.customFields, origin: 'crm' },
        actorOf(tenant, request),
      );
      void reply.header('etag', etag(view.version));
      return view;
    }

    @Get()
    @RequireScopes('crm:read')
    @ApiOkResponse({
      description:
        '{ data, nextCursor }: filter.<field>[.<op>]=v (eq, ne, gt, gte, lt, lte, in, contains, ' +
        'exists; cf.<key> for custom fields), sort=[-]<field>, q=<words>, archived, limit, cursor',
    })
    @ApiBadRequestResponse({ description: 'unknown field, operator or cursor' })
    async list(
      @CurrentTenant() tenant: TenantContext,
      @Query() query: Record<string, unknown>,
    ): Promise<{ data: RecordView[]; nextCursor: string | null }> {
      const definitions = await this.records.inputs.customFields(tenant.workspaceId);
      return this.records.list(tenant.workspaceId, type, parseListQuery(type, query, definitions));
    }

    @Get(':id')
    @RequireScopes('crm:read')
    @ApiOkResponse({
      description: `the ${type}; ETag: "<version>"${type === 'contact' ? '; cdp: the CDP view' : ''}`,
    })
    @ApiNotFoundResponse()
    async get(
      @CurrentTenant() tenant: TenantContext,
      @Param('id') id: string,
      @Res({ passthrough: true }) reply: FastifyReply,
    ): Promise<RecordView> {
      const view = await this.records.get(tenant.workspaceId, type, id);
      void reply.header('etag', etag(view.version));
      if (type !== 'contact') return view;
      return { ...view, cdp: await this.cdp.viewOf(tenant.workspaceId, id) };
    }

    @Patch(':id')
    @RequireScopes('crm:write')
    @ApiOkResponse({ description: 'the updated record; only changed fields become an event' })
    @ApiConflictResponse({ description: 'crm.version_conflict: If-Match/expectedVersion is stale' })
    @ApiNotFoundResponse()
    async update(
      @CurrentTenant() tenant: TenantContext,
      @Req() request: FastifyRequest,
      @Res({ passthrough: true }) reply: FastifyReply,
      @Param('id') id: string,
      @Headers('if-match') ifMatch: string | undefined,
      @Body() body: unknown,
    ): Promise<RecordView> {
      const input = recordInput(body);
      const view = await this.records.executeAndView(
        tenant.workspaceId,
        type,
        id,
        { kind: 'update', fields: input.fields, customFields: input.customFields, origin: 'crm' },
        actorOf(tenant, request),
        expectedVersion(ifMatch, input.expectedVersion),
      );
      void reply.header('etag', etag(view.version));
      return view;
    }

    @Post(':id/archive')
    @HttpCode(200)
    @RequireScopes('crm:write')
    @ApiOkResponse({ description: 'the archived record (archiving twice changes nothing)' })
    @ApiNotFoundResponse()
    archive(
      @CurrentTenant() tenant: TenantContext,
      @Req() request: FastifyRequest,
      @Param('id') id: string,
      @Headers('if-match') ifMatch: string | undefined,
      @Body() body: unknown,
    ): Promise<RecordView> {
      return this.simple(tenant, request, id, ifMatch, body, { kind: 'archive', origin: 'crm' });
    }

    @Post(':id/restore')
    @HttpCode(200)
    @RequireScopes('crm:write')
    @ApiOkResponse({ description: 'the restored record' })
    @ApiNotFoundResponse()
    restore(
      @CurrentTenant() tenant: TenantContext,
      @Req() request: FastifyRequest,
      @Param('id') id: string,
      @Headers('if-match') ifMatch: string | undefined,
      @Body() body: unknown,
    ): Promise<RecordView> {
      return this.simple(tenant, request, id, ifMatch, body, { kind: 'restore', origin: 'crm' });
    }

    @Get(':id/history')
    @RequireScopes('crm:read')
    @ApiOkResponse({
      description:
        '{ data: [{ version, type, occurredAt, actor: { type, id, via: { channel, ip, userAgent } }, origin, changes: [{ field, from, to }] }] }',
    })
    @ApiNotFoundResponse()
    async history(
      @CurrentTenant() tenant: TenantContext,
      @Param('id') id: string,
    ): Promise<{ data: unknown[] }> {
      return { data: await this.records.history(tenant.workspaceId, type, id) };
    }

    /**
     * Parses a command's body; for an unknown record the answer is a 404 whatever the body (a
     * key of another workspace learns nothing from the validation).
     */
    async parseCommand<T>(
      tenant: TenantContext,
      id: string,
      schema: z.ZodType<T>,
      body: unknown,
    ): Promise<T> {
      const result = schema.safeParse(body ?? {});
      if (result.success) return result.data;
      await this.records.get(tenant.workspaceId, type, id);
      return parse(schema, body ?? {}, '(body)');
    }

    /** A command with only an optional expectedVersion in its body. */
    async simple(
      tenant: TenantContext,
      request: FastifyRequest,
      id: string,
      ifMatch: string | undefined,
      body: unknown,
      command: RecordCommand,
    ): Promise<RecordView> {
      const { expectedVersion: fromBody } = parse(versionOnly, body ?? {}, '(body)');
      return this.records.executeAndView(
        tenant.workspaceId,
        type,
        id,
        command,
        actorOf(tenant, request),
        expectedVersion(ifMatch, fromBody),
      );
    }
  }

  if (type === 'deal') {
    @Controller(`v1/crm/${collection}`)
    class DealController extends RecordController {
      @Post(':id/stage')
      @HttpCode(200)
      @RequireScopes('crm:write')
      @ApiOkResponse({ description: 'the deal in its new stage (stage_changed event)' })
      @ApiBadRequestResponse({
        description: 'deal.unknown_stage, deal.close_reason_required (won/lost need a reason)',
      })
      @ApiConflictResponse({ description: 'stale version, archived deal' })
      @ApiNotFoundResponse()
      async moveStage(
        @CurrentTenant() tenant: TenantContext,
        @Req() request: FastifyRequest,
        @Param('id') id: string,
        @Headers('if-match') ifMatch: string | undefined,
        @Body() body: unknown,
      ): Promise<RecordView> {
        const input = await this.parseCommand(tenant, id, stageMove, body);
        return this.records.executeAndView(
          tenant.workspaceId,
          type,
          id,
          {
            kind: 'move_stage',
            toStageId: input.stageId,
            ...(input.closeReason === undefined ? {} : { closeReason: input.closeReason }),
            origin: 'crm',
          },
          actorOf(tenant, request),
          expectedVersion(ifMatch, input.expectedVersion),
        );
      }
    }
    return named(DealController, 'DealsController');
  }
  if (type === 'task') {
    @Controller(`v1/crm/${collection}`)
    class TaskController extends RecordController {
      @Post(':id/complete')
      @HttpCode(200)
      @RequireScopes('crm:write')
      @ApiOkResponse({ description: 'the completed task (completing twice changes nothing)' })
      @ApiNotFoundResponse()
      complete(
        @CurrentTenant() tenant: TenantContext,
        @Req() request: FastifyRequest,
        @Param('id') id: string,
        @Headers('if-match') ifMatch: string | undefined,
        @Body() body: unknown,
      ): Promise<RecordView> {
        return this.simple(tenant, request, id, ifMatch, body, {
          kind: 'complete_task',
          origin: 'crm',
        });
      }

      @Post(':id/reopen')
      @HttpCode(200)
      @RequireScopes('crm:write')
      @ApiOkResponse({ description: 'the reopened task' })
      @ApiNotFoundResponse()
      reopen(
        @CurrentTenant() tenant: TenantContext,
        @Req() request: FastifyRequest,
        @Param('id') id: string,
        @Headers('if-match') ifMatch: string | undefined,
        @Body() body: unknown,
      ): Promise<RecordView> {
        return this.simple(tenant, request, id, ifMatch, body, {
          kind: 'reopen_task',
          origin: 'crm',
        });
      }
    }
    return named(TaskController, 'TasksController');
  }
  if (type === 'ticket') {
    @Controller(`v1/crm/${collection}`)
    class TicketController extends RecordController {
      @Post(':id/status')
      @HttpCode(200)
      @RequireScopes('crm:write')
      @ApiOkResponse({ description: 'the ticket in its new status (status_changed event)' })
      @ApiConflictResponse({ description: 'ticket.transition_not_allowed, stale version' })
      @ApiNotFoundResponse()
      async changeStatus(
        @CurrentTenant() tenant: TenantContext,
        @Req() request: FastifyRequest,
        @Param('id') id: string,
        @Headers('if-match') ifMatch: string | undefined,
        @Body() body: unknown,
      ): Promise<RecordView> {
        const input = await this.parseCommand(tenant, id, statusChange, body);
        return this.records.executeAndView(
          tenant.workspaceId,
          type,
          id,
          { kind: 'change_ticket_status', to: input.status, origin: 'crm' },
          actorOf(tenant, request),
          expectedVersion(ifMatch, input.expectedVersion),
        );
      }
    }
    return named(TicketController, 'TicketsController');
  }
  return named(RecordController, `${collection[0]?.toUpperCase()}${collection.slice(1)}Controller`);
}

/** Swagger derives operation ids from the class name: one name per collection. */
function named<T extends Type<unknown>>(controller: T, name: string): T {
  Object.defineProperty(controller, 'name', { value: name });
  return controller;
}
