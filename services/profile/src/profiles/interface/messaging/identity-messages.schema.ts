import { parseTenantBatch, type ParsedTenantBatch } from '@cdp/messaging';
import { z } from 'zod';
import { type JsonObject } from '../../domain/json';

const isoInstant = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'not an ISO-8601 time');
const jsonObject = z.record(z.string(), z.json());

/**
 * The fields of a resolved event the profile reads (identity publishes each accepted event with
 * its `profileId` added; the others are ignored). Unknown call types are accepted (and count as
 * activity) so a newer producer cannot poison the consumer.
 */
const resolvedEventSchema = z.looseObject({
  type: z.string().min(1).max(40),
  messageId: z.string().min(1).max(512),
  workspaceId: z.string().min(1),
  sourceId: z.string().optional(),
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  event: z.string().optional(),
  traits: jsonObject.optional(),
  context: jsonObject.optional(),
  properties: jsonObject.optional(),
  timestamp: isoInstant,
  profileId: z.string().min(1).max(200).optional(),
});

const resolvedBatchSchema = z.object({ items: z.array(resolvedEventSchema) });

export interface ResolvedItem {
  readonly type: string;
  readonly messageId: string;
  readonly workspaceId: string;
  readonly sourceId?: string | undefined;
  readonly userId?: string | undefined;
  readonly anonymousId?: string | undefined;
  readonly event?: string | undefined;
  readonly traits?: JsonObject | undefined;
  readonly context?: JsonObject | undefined;
  readonly properties?: JsonObject | undefined;
  readonly timestamp: string;
  readonly profileId?: string | undefined;
}

const ENUM_PREFIX = 'EVENT_TYPE_';

/**
 * Identity publishes each item as the accepted event's JSON with `profileId` added (flat). The
 * proto's nested form `{ event: {...}, profileId }` and enum call types (`EVENT_TYPE_TRACK`) are
 * read too, so a producer following the proto literally is understood.
 */
function flattenItem(item: unknown): unknown {
  if (typeof item !== 'object' || item === null) return item;
  const record = item as Record<string, unknown>;
  const nested = record['event'];
  const flat =
    typeof nested === 'object' && nested !== null && !Array.isArray(nested)
      ? { ...(nested as Record<string, unknown>), profileId: record['profileId'] }
      : record;
  const type = flat['type'];
  return typeof type === 'string' && type.startsWith(ENUM_PREFIX)
    ? { ...flat, type: type.slice(ENUM_PREFIX.length).toLowerCase() }
    : flat;
}

/** Validates a `ResolvedEventBatch`; every item must belong to the message's workspace. */
export function parseResolvedBatch(
  payload: unknown,
  workspaceId: string | undefined,
): ParsedTenantBatch<ResolvedItem> {
  const items = (payload as { items?: unknown } | null)?.items;
  const flat = Array.isArray(items) ? { items: items.map(flattenItem) } : payload;
  return parseTenantBatch<ResolvedItem>(resolvedBatchSchema, flat, workspaceId);
}

const identifier = z.object({ type: z.string().min(1), value: z.string().min(1) });

export const profileMergedSchema = z.looseObject({
  mergeId: z.string().min(1),
  survivingProfileId: z.string().min(1),
  mergedProfileIds: z.array(z.string().min(1)).min(1),
  evidence: z.array(z.looseObject({ observedAt: isoInstant.optional() })).optional(),
});

export const profileSplitSchema = z.looseObject({
  splitId: z.string().min(1),
  sourceProfileId: z.string().min(1),
  parts: z
    .array(z.object({ profileId: z.string().min(1), identifiers: z.array(identifier).default([]) }))
    .min(1),
});

/** A zod failure as one line for the dead letter. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue ? issue.path.join('.') : ''}: ${issue?.message ?? 'invalid'}`;
}
