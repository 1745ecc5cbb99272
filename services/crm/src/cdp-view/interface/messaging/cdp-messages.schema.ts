import { z } from 'zod';
import { type ContactLink, type MembershipChange } from '../../application/cdp-view.ports';
import { type TraitChange } from '../../domain/trait-changes';

/** uint64 fields arrive as strings in canonical proto3 JSON; numbers are accepted too. */
const uint64 = z.union([z.string().regex(/^\d{1,19}$/), z.number().int().min(0)]).transform(Number);
const id = z.string().min(1).max(200);

const crmContext = z.looseObject({
  aggregateType: z.string(),
  aggregateId: z.string(),
  version: uint64.optional(),
});
const resolvedEvent = z.looseObject({
  workspaceId: z.string().optional(),
  context: z.looseObject({ crm: crmContext.optional() }).optional(),
});
/** `{ event, profileId }` (proto ResolvedEvent) or the event's fields with `profileId` beside them. */
const resolvedItem = z.looseObject({
  event: resolvedEvent.optional(),
  profileId: z.string().optional(),
  context: z.looseObject({ crm: crmContext.optional() }).optional(),
});

/** `context.crm` of an item, if any, read without validating the (large) rest of the event. */
function crmContextOf(item: unknown): unknown {
  if (item === null || typeof item !== 'object') return undefined;
  const record = item as { event?: { context?: { crm?: unknown } }; context?: { crm?: unknown } };
  return record.event?.context?.crm ?? record.context?.crm;
}

/**
 * The contact → profile links a resolved batch carries (identity's echo of CRM contacts). Every
 * behavioural event of the platform passes here, so items without `context.crm` are skipped
 * before any validation; the CRM ones are validated in full.
 */
export function contactLinks(payload: unknown): ContactLink[] | string {
  const items = (payload as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return 'invalid resolved batch: items must be an array';
  const links: ContactLink[] = [];
  for (const [index, raw] of (items as unknown[]).entries()) {
    if (crmContextOf(raw) === undefined) continue;
    const parsed = resolvedItem.safeParse(raw);
    if (!parsed.success)
      return `invalid resolved batch at items.${index}: ${parsed.error.issues[0]?.message ?? ''}`;
    const item = parsed.data;
    const crm = item.event?.context?.crm ?? item.context?.crm;
    if (!crm || crm.aggregateType !== 'contact' || !item.profileId) continue;
    links.push({
      contactId: crm.aggregateId,
      profileId: item.profileId,
      contactVersion: crm.version ?? 0,
    });
  }
  return links;
}

const merged = z.looseObject({ survivingProfileId: id, mergedProfileIds: z.array(id).min(1) });

export function parseMerged(
  payload: unknown,
): { survivingProfileId: string; mergedProfileIds: string[] } | string {
  const parsed = merged.safeParse(payload);
  return parsed.success
    ? parsed.data
    : `invalid ProfileMerged: ${parsed.error.issues[0]?.message ?? ''}`;
}

const split = z.looseObject({
  sourceProfileId: id,
  parts: z.array(
    z.looseObject({
      profileId: id,
      identifiers: z.array(z.looseObject({ type: z.string(), value: z.string() })).optional(),
    }),
  ),
});

/** The contacts (by their `crm_contact_id` identifier) each part of a ProfileSplit holds. */
export function parseSplit(
  payload: unknown,
): { sourceProfileId: string; parts: { profileId: string; contactIds: string[] }[] } | string {
  const parsed = split.safeParse(payload);
  if (!parsed.success) return `invalid ProfileSplit: ${parsed.error.issues[0]?.message ?? ''}`;
  return {
    sourceProfileId: parsed.data.sourceProfileId,
    parts: parsed.data.parts.map((p) => ({
      profileId: p.profileId,
      contactIds: (p.identifiers ?? [])
        .filter((i) => i.type === 'crm_contact_id')
        .map((i) => i.value),
    })),
  };
}

const traitChange = z.looseObject({
  key: z.string().min(1).max(300),
  operation: z
    .enum(['TRAIT_OPERATION_SET', 'TRAIT_OPERATION_UNSET', 'TRAIT_OPERATION_UNSPECIFIED'])
    .optional(),
  value: z.json().optional(),
});
const profileUpdated = z.looseObject({
  profileId: id,
  version: uint64,
  changes: z.array(traitChange).max(10_000),
});

export function parseProfileUpdated(
  payload: unknown,
): { profileId: string; version: number; changes: TraitChange[] } | string {
  const parsed = profileUpdated.safeParse(payload);
  if (!parsed.success) return `invalid ProfileUpdated: ${parsed.error.issues[0]?.message ?? ''}`;
  return {
    profileId: parsed.data.profileId,
    version: parsed.data.version,
    changes: parsed.data.changes.map((c) =>
      c.operation === 'TRAIT_OPERATION_UNSET' || c.value === undefined
        ? { key: c.key, operation: 'unset' as const }
        : { key: c.key, operation: 'set' as const, value: c.value },
    ),
  };
}

const membershipChanged = z.looseObject({
  segmentId: id,
  segmentVersion: uint64.optional(),
  changes: z.array(
    z.looseObject({
      profileId: id,
      transition: z.enum(['MEMBERSHIP_TRANSITION_ENTERED', 'MEMBERSHIP_TRANSITION_EXITED']),
    }),
  ),
});

export function parseMembershipChanged(
  payload: unknown,
): { segmentId: string; segmentVersion: number; changes: MembershipChange[] } | string {
  const parsed = membershipChanged.safeParse(payload);
  if (!parsed.success) return `invalid MembershipChanged: ${parsed.error.issues[0]?.message ?? ''}`;
  return {
    segmentId: parsed.data.segmentId,
    segmentVersion: parsed.data.segmentVersion ?? 0,
    changes: parsed.data.changes.map((c) => ({
      profileId: c.profileId,
      member: c.transition === 'MEMBERSHIP_TRANSITION_ENTERED',
    })),
  };
}
