import { z } from 'zod';
import { type JsonValue } from '../../domain/definition';
import { type ResolvedEventInput } from '../../application/realtime-inputs.use-case';
import { type CrmChange, type TraitChange } from '../../application/ports';

const id = z.string().min(1).max(1024);
const version = z.union([
  z.number().int().nonnegative(),
  z
    .string()
    .regex(/^\d{1,19}$/)
    .transform(Number),
]);
const jsonObject = z.record(z.string(), z.unknown());

const eventShape = z.object({
  type: z.string().default(''),
  messageId: id,
  userId: z.string().optional(),
  anonymousId: z.string().optional(),
  event: z.string().optional(),
  properties: jsonObject.optional(),
  timestamp: z.string(),
  context: jsonObject.optional(),
});

/**
 * A ResolvedEvent item: `{ event, profileId }` per the proto, or the event's fields with
 * `profileId` beside them (what identity publishes today); items without a profile are skipped.
 */
const resolvedItem = z.union([
  z
    .object({ event: eventShape, profileId: id })
    .transform((i) => ({ ...i.event, profileId: i.profileId })),
  eventShape.extend({ profileId: id }),
]);

export const resolvedBatchSchema = z.object({ items: z.array(z.unknown()).max(10_000) });

export function parseResolvedItems(items: readonly unknown[]): ResolvedEventInput[] {
  const out: ResolvedEventInput[] = [];
  for (const raw of items) {
    const parsed = resolvedItem.safeParse(raw);
    if (!parsed.success) continue; // no profile (junk identifiers) or not an event: nothing to evaluate
    const e = parsed.data;
    const timestamp = Date.parse(e.timestamp);
    if (!Number.isFinite(timestamp)) continue;
    const crm = e.context?.crm as { aggregateType?: unknown; aggregateId?: unknown } | undefined;
    out.push({
      profileId: e.profileId,
      messageId: e.messageId,
      type: e.type,
      event: e.event ?? '',
      userId: (e.userId ?? '').trim(),
      anonymousId: (e.anonymousId ?? '').trim(),
      properties: e.properties as Record<string, JsonValue> | undefined,
      timestamp,
      ...(crm?.aggregateType === 'contact' && typeof crm.aggregateId === 'string'
        ? { crmContactId: crm.aggregateId }
        : {}),
    });
  }
  return out;
}

export const profileUpdatedSchema = z
  .object({
    profileId: id,
    version,
    changes: z
      .array(
        z.object({
          key: z.string().min(1).max(300),
          operation: z
            .enum(['TRAIT_OPERATION_SET', 'TRAIT_OPERATION_UNSET', 'TRAIT_OPERATION_UNSPECIFIED'])
            .default('TRAIT_OPERATION_SET'),
          value: z.unknown().optional(),
        }),
      )
      .max(10_000),
  })
  .transform((u) => ({
    profileId: u.profileId,
    version: u.version,
    changes: u.changes.map((c): TraitChange =>
      c.operation === 'TRAIT_OPERATION_UNSET' || c.value === undefined || c.value === null
        ? { key: c.key, operation: 'unset' }
        : { key: c.key, operation: 'set', value: c.value as JsonValue },
    ),
  }));

export const crmEventSchema = z
  .object({
    aggregateType: z.string().min(1).max(40),
    aggregateId: id,
    aggregateVersion: version,
    type: z.string().min(1).max(60),
    payload: jsonObject.default({}),
  })
  .transform((e): CrmChange => ({
    aggregateType: e.aggregateType,
    aggregateId: e.aggregateId,
    version: e.aggregateVersion,
    type: e.type,
    payload: e.payload,
  }));

export const profileMergedSchema = z.object({
  survivingProfileId: id,
  mergedProfileIds: z.array(id).min(1).max(1000),
});

export const profileSplitSchema = z.object({
  sourceProfileId: id,
  parts: z
    .array(
      z.object({
        profileId: id,
        identifiers: z.array(z.object({ type: z.string(), value: z.string() })).default([]),
      }),
    )
    .max(1000),
});
