import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
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
import { CurrentTenant, RequireScopes, type TenantContext } from '@cdp/tenancy';
import { EditTraitsUseCase } from '../../application/edit-traits.use-case';
import { ProfileQueriesService } from '../../application/profile-queries.service';
import {
  VerifyRebuildUseCase,
  type VerifyRebuildResult,
} from '../../application/verify-rebuild.use-case';
import { type Json, type JsonObject } from '../../domain/json';
import { type ProfileView } from '../../domain/profile-state';
import { decodeCursor, encodeCursor, invalidInput, parse } from './http-input';

const jsonObject = z.record(z.string(), z.json());
const editBody = z
  .object({
    set: jsonObject.optional(),
    setOnce: jsonObject.optional(),
    unset: z.array(z.string().min(1).max(500)).max(500).optional(),
  })
  .strict()
  .refine((b) => b.set !== undefined || b.setOnce !== undefined || b.unset !== undefined, {
    message: 'give set, setOnce or unset',
  });
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});
const timelineQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(1000).optional(),
  event: z.string().min(1).max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
const rebuildBody = z.object({
  maxMessages: z.number().int().min(1).max(10_000_000).optional(),
});
const IDENTIFIER_TYPE = /^[a-z][a-z0-9_]{0,39}$/;
const TRAIT_FILTER = /^traits\.(.{1,200})$/;

/** A trait filter value: JSON when it parses as a JSON scalar (`30`, `true`, `"30"`), else text. */
function filterValue(raw: string): Json {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      return value;
  } catch {
    // plain text
  }
  return raw;
}

/** `traits.address.city=Paris` → `{ address: { city: "Paris" } }` (jsonb containment). */
function traitFilter(query: Record<string, unknown>): JsonObject {
  const filter: JsonObject = {};
  for (const [key, raw] of Object.entries(query)) {
    const match = TRAIT_FILTER.exec(key);
    if (!match?.[1]) continue;
    if (typeof raw !== 'string') throw invalidInput(key, 'give one value');
    const parts = match[1].split('.');
    let node = filter;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next === 'object' && next !== null && !Array.isArray(next)) node = next;
      else node = node[part] = {};
    }
    node[parts.at(-1) ?? match[1]] = filterValue(raw);
  }
  return filter;
}

/**
 * The unified profile: by id (an alias answers with the survivor), by identifier, lists with
 * trait filters, the timeline from ClickHouse, manual trait edits, rebuild verification.
 */
@ApiTags('profiles')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'missing, invalid, revoked or expired API key' })
@ApiForbiddenResponse({ description: 'the key lacks profiles:read / profiles:write' })
@Controller('v1/profiles')
export class ProfilesController {
  constructor(
    private readonly queries: ProfileQueriesService,
    private readonly editTraits: EditTraitsUseCase,
    private readonly rebuild: VerifyRebuildUseCase,
  ) {}

  @Get()
  @RequireScopes('profiles:read')
  @ApiQuery({ name: 'traits.plan', required: false, example: 'pro' })
  @ApiQuery({ name: 'limit', required: false, example: 50 })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({
    description:
      '{ data: [profile], next }: live profiles whose traits match every `traits.<path>=<value>` ' +
      'filter (JSON scalars compare typed: 30, true, "30"), by id; pass `next` as `cursor`',
  })
  async list(
    @CurrentTenant() tenant: TenantContext,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: ProfileView[]; next: string | null }> {
    const { limit, cursor } = parse(listQuery, query, 'query');
    const page = await this.queries.list(
      tenant.workspaceId,
      traitFilter(query),
      cursor ?? '',
      limit,
    );
    return { data: page.data, next: page.next ?? null };
  }

  @Get('lookup')
  @RequireScopes('profiles:read')
  @ApiQuery({ name: 'email', required: false, example: 'ivanov@mail.example' })
  @ApiOkResponse({
    description:
      '{ data: [profile] }: the profile holding the identifier `<type>=<value>` (email, phone, ' +
      'user_id, anonymous_id, crm_contact_id or a custom type; emails and phones are normalised ' +
      'like identity does), via identity_map; empty when none does (or without a parameter)',
  })
  @ApiBadRequestResponse({ description: 'more than one identifier, or an invalid one' })
  async lookup(
    @CurrentTenant() tenant: TenantContext,
    @Query() query: Record<string, unknown>,
  ): Promise<{ data: ProfileView[] }> {
    const entries = Object.entries(query);
    const [entry] = entries;
    if (!entry) return { data: [] };
    if (entries.length > 1)
      throw invalidInput('query', 'give one identifier, e.g. ?email=a@b.example');
    const [type, value] = entry;
    if (!IDENTIFIER_TYPE.test(type)) throw invalidInput(type, 'not an identifier type');
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > 1024)
      throw invalidInput(type, 'give one non-empty value');
    const found = await this.queries.lookup(tenant.workspaceId, type, value);
    return { data: found ? [found] : [] };
  }

  @Post('rebuild')
  @HttpCode(200)
  @RequireScopes('profiles:write')
  @ApiOkResponse({
    description:
      '{ equal, messages, truncated, manualEdits, live, rebuilt, differences }: the profiles ' +
      'rebuilt from the IDENTITY stream + manual-edit log, compared with the live ones',
  })
  async verifyRebuild(
    @CurrentTenant() tenant: TenantContext,
    @Body() body: unknown,
  ): Promise<VerifyRebuildResult> {
    const input = parse(rebuildBody, body ?? {}, '(body)');
    return this.rebuild.execute({
      workspaceId: tenant.workspaceId,
      maxMessages: input.maxMessages ?? 1_000_000,
    });
  }

  @Get(':id')
  @RequireScopes('profiles:read')
  @ApiOkResponse({
    description:
      '{ id, version, traits, provenance, computed }: an alias id (merged profile) answers ' +
      'with the survivor (`id` tells which)',
  })
  @ApiNotFoundResponse()
  get(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<ProfileView> {
    return this.queries.get(tenant.workspaceId, id);
  }

  @Get(':id/events')
  @RequireScopes('profiles:read')
  @ApiQuery({ name: 'event', required: false, example: 'Order Completed' })
  @ApiQuery({ name: 'from', required: false, example: '2025-01-01T00:00:00Z' })
  @ApiQuery({ name: 'to', required: false, example: '2025-02-01T00:00:00Z' })
  @ApiQuery({ name: 'limit', required: false, example: 50 })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOkResponse({
    description:
      '{ profileId, data: [event], next }: every event of every identifier of the profile, ' +
      'newest first; `event` filters by track name or call type, [from, to) by event time',
  })
  @ApiNotFoundResponse()
  async events(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const input = parse(timelineQuery, query, 'query');
    const page = await this.queries.timeline({
      workspaceId: tenant.workspaceId,
      profileId: id,
      limit: input.limit,
      event: input.event,
      from: input.from,
      to: input.to,
      cursor: input.cursor === undefined ? undefined : decodeCursor(input.cursor),
    });
    return {
      profileId: page.profileId,
      data: page.data,
      next: page.next ? encodeCursor(page.next) : null,
    };
  }

  @Patch(':id/traits')
  @RequireScopes('profiles:write')
  @ApiOkResponse({
    description:
      'the profile after the edit. Body { set?, setOnce?, unset? }: provenance manual, observed ' +
      'now; a later event still overrides it',
  })
  @ApiBadRequestResponse({ description: 'invalid body' })
  @ApiNotFoundResponse()
  async patchTraits(
    @CurrentTenant() tenant: TenantContext,
    @Param('id') id: string,
    @Body() body: unknown,
  ): Promise<ProfileView> {
    // An unknown (or another workspace's) profile is a 404 whatever the body.
    await this.queries.get(tenant.workspaceId, id);
    const input = parse(editBody, body, '(body)');
    const state = await this.editTraits.execute({
      workspaceId: tenant.workspaceId,
      profileId: id,
      editId: `manual:${randomUUID()}`,
      keyId: tenant.keyId,
      at: new Date(),
      set: input.set,
      setOnce: input.setOnce,
      unset: input.unset,
    });
    return this.queries.get(tenant.workspaceId, state.id);
  }
}
