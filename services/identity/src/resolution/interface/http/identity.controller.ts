import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
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
import { z } from 'zod';
import { parse } from './parse-request';
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import {
  IdentityQueriesService,
  type MergeHistoryView,
  type ProfileGraphView,
  type ResolveView,
} from '../../application/identity-queries.service';
import { ObserveIdentifiersUseCase } from '../../application/observe-identifiers.use-case';
import { SplitProfileUseCase } from '../../application/split-profile.use-case';
import {
  VerifyRebuildUseCase,
  type VerifyRebuildResult,
} from '../../application/verify-rebuild.use-case';

const text = z.string().trim().min(1).max(1024);
const resolveQuery = z
  .object({ type: text.optional(), value: text.optional() })
  .refine((q) => (q.type === undefined) === (q.value === undefined), {
    message: 'type and value go together',
  });
const mergesQuery = z.object({
  profile: text.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
const observationBody = z.object({
  identifiers: z
    .array(z.object({ type: z.string().min(1).max(40), value: z.string().min(1).max(1024) }))
    .min(1)
    .max(20),
  messageId: z.string().min(1).max(200).optional(),
  observedAt: z.iso.datetime({ offset: true }).optional(),
});

const splitBody = z.object({
  detachIdentifiers: z
    .array(z.object({ type: z.string().min(1).max(40), value: z.string().min(1).max(1024) }))
    .max(100)
    .optional(),
  detachLinks: z.array(z.string().min(1).max(20_000)).max(100).optional(),
  reason: z.string().max(500).optional(),
});

const rebuildBody = z.object({
  maxEvents: z.number().int().min(1).max(1_000_000).optional(),
  source: z.enum(['stream', 'clickhouse']).optional(),
  swap: z.boolean().optional(),
});

/**
 * The identity graph of the caller's workspace: lookups, a profile's graph with its evidence,
 * the merge ledger, and observations reported through the API. Profiles of another workspace
 * are 404s.
 */
@ApiTags('identity')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks identity:read / identity:write' })
@Controller('v1/identity')
export class IdentityController {
  constructor(
    private readonly queries: IdentityQueriesService,
    private readonly observe: ObserveIdentifiersUseCase,
    private readonly split: SplitProfileUseCase,
    private readonly rebuild: VerifyRebuildUseCase,
  ) {}

  @Get('resolve')
  @RequireScopes('identity:read')
  @ApiQuery({ name: 'type', required: false, example: 'email' })
  @ApiQuery({ name: 'value', required: false, example: 'Ivanov@Mail.example' })
  @ApiOkResponse({
    description:
      '{ data: [{ profileId, identifier: { type, value } }] }: the profile holding the ' +
      'normalised identifier; empty when none does (or without parameters)',
  })
  @ApiBadRequestResponse({ description: 'only one parameter, or not a valid identifier' })
  async resolve(
    @CurrentTenant() tenant: TenantContext,
    @Query() query: Record<string, unknown>,
  ): Promise<ResolveView> {
    const { type, value } = parse(resolveQuery, query, 'query');
    if (type === undefined || value === undefined) return { data: [] };
    return this.queries.resolve(tenant.workspaceId, type, value);
  }

  @Get('profiles/:id/graph')
  @RequireScopes('identity:read')
  @ApiOkResponse({
    description:
      'identifiers (first seen), links (identifiers seen together, oldest evidence), ids ' +
      'merged into it, merges, conflicts. A merged id answers with its survivor.',
  })
  @ApiNotFoundResponse()
  graph(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
  ): Promise<ProfileGraphView> {
    return this.queries.profileGraph(tenant.workspaceId, id);
  }

  @Get('merges')
  @RequireScopes('identity:read')
  @ApiQuery({ name: 'profile', required: false, example: 'prof_0123456789abcdef01234567' })
  @ApiQuery({ name: 'limit', required: false, example: 100 })
  @ApiOkResponse({
    description:
      '{ profileId, data }: the ledger entries explaining the profile, oldest first; without ' +
      'a profile, the latest merges of the workspace, newest first',
  })
  @ApiNotFoundResponse()
  merges(
    @CurrentTenant() tenant: TenantContext,
    @Query() query: Record<string, unknown>,
  ): Promise<MergeHistoryView> {
    const { profile, limit } = parse(mergesQuery, query, 'query');
    return this.queries.mergeHistory(tenant.workspaceId, profile, limit);
  }

  @Post('observations')
  @HttpCode(200)
  @RequireScopes('identity:write')
  @ApiOkResponse({
    description:
      '{ profileId, outcome, steps, conflicts }: identifiers stated to belong together, ' +
      'resolved like an event (manual evidence, trusted api source)',
  })
  @ApiBadRequestResponse({ description: 'invalid body or identifier' })
  async observations(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<Record<string, unknown>> {
    const input = parse(observationBody, body, '(body)');
    const result = await this.observe.execute({
      workspaceId: tenant.workspaceId,
      identifiers: input.identifiers,
      messageId: input.messageId ?? `api:${randomUUID()}`,
      keyId: tenant.keyId,
      observedAt: (input.observedAt === undefined
        ? new Date()
        : new Date(input.observedAt)
      ).toISOString(),
    });
    return {
      profileId: result.profileId,
      outcome: result.outcome,
      identifiers: result.plan.resolved,
      conflicts: result.plan.conflicts,
      steps: result.plan.steps,
    };
  }

  @Post('profiles/:id/split')
  @HttpCode(200)
  @RequireScopes('identity:write')
  @ApiOkResponse({
    description:
      '{ changed, splitId, sourceProfileId, parts: [{ profileId, identifiers }] }: the profile ' +
      're-resolved from its links without the detached identifiers/links (keys from the graph ' +
      'API); the oldest part keeps the id. Publishes ProfileSplit.',
  })
  @ApiBadRequestResponse({ description: 'invalid body, unknown identifier or link' })
  @ApiNotFoundResponse()
  async splitProfile(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<Record<string, unknown>> {
    const input = parse(splitBody, body ?? {}, '(body)');
    const { changed, split, result } = await this.split.execute({
      workspaceId: tenant.workspaceId,
      profileId: id,
      ...(input.detachIdentifiers ? { detachIdentifiers: input.detachIdentifiers } : {}),
      ...(input.detachLinks ? { detachLinks: input.detachLinks } : {}),
      reason: input.reason ?? '',
      actor: { type: 'api_key', id: tenant.keyId },
    });
    return {
      changed,
      ...(split ? { splitId: split.splitId } : {}),
      sourceProfileId: result.components[0]?.profileId ?? id,
      parts: result.components.map((c) => ({ profileId: c.profileId, identifiers: c.identifiers })),
    };
  }

  @Post('rebuild')
  @HttpCode(200)
  @RequireScopes('identity:write')
  @ApiOkResponse({
    description:
      '{ equal, messages, events, truncated, live, rebuilt, onlyLive, onlyRebuilt, swapped? }: ' +
      "the workspace's accepted events (source stream = EVENTS, clickhouse = the events " +
      'history) replayed into a scratch graph and compared with the live one; with swap: true ' +
      'a complete replay that differs replaces the live graph (ids kept where possible). API ' +
      'observations and splits are not in the history.',
  })
  @ApiBadRequestResponse({ description: 'invalid body' })
  async rebuildGraph(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<VerifyRebuildResult> {
    const input = parse(rebuildBody, body ?? {}, '(body)');
    return this.rebuild.execute({
      workspaceId: tenant.workspaceId,
      maxEvents: input.maxEvents ?? 100_000,
      ...(input.source ? { source: input.source } : {}),
      ...(input.swap !== undefined ? { swap: input.swap } : {}),
    });
  }
}
