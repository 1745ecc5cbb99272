import { type Actor, type ProfileMerged, type ProfileSplit } from '../domain/identity-events';
import { type EvidenceSource } from '../domain/observation';

/** Contract names carried in the `cdp-schema` header of what identity publishes. */
export const PROFILE_MERGED_SCHEMA = 'cdp.identity.v1.ProfileMerged';
export const PROFILE_SPLIT_SCHEMA = 'cdp.identity.v1.ProfileSplit';
export const RESOLVED_EVENT_BATCH_SCHEMA = 'cdp.identity.v1.ResolvedEventBatch';

const EVIDENCE_SOURCE: Readonly<Record<EvidenceSource, string>> = {
  event: 'EVIDENCE_SOURCE_EVENT',
  crm: 'EVIDENCE_SOURCE_CRM',
  import: 'EVIDENCE_SOURCE_IMPORT',
  manual: 'EVIDENCE_SOURCE_MANUAL',
};

const ACTOR_TYPE: Readonly<Record<Actor['type'], string>> = {
  user: 'ACTOR_TYPE_USER',
  api_key: 'ACTOR_TYPE_API_KEY',
  system: 'ACTOR_TYPE_SYSTEM',
  integration: 'ACTOR_TYPE_INTEGRATION',
};

function actorJson(actor: Actor): Record<string, string> {
  return {
    type: ACTOR_TYPE[actor.type],
    id: actor.id,
    ...(actor.displayName ? { displayName: actor.displayName } : {}),
  };
}

/** `cdp.identity.v1.ProfileMerged` as canonical proto3 JSON. */
export function profileMergedJson(merged: ProfileMerged): Record<string, unknown> {
  return {
    mergeId: merged.mergeId,
    survivingProfileId: merged.survivingProfileId,
    mergedProfileIds: merged.mergedProfileIds,
    identifiers: merged.identifiers.map((i) => ({ type: i.type, value: i.value })),
    ruleId: merged.ruleId,
    evidence: merged.evidence.map((e) => ({
      source: EVIDENCE_SOURCE[e.source],
      sourceId: e.messageId,
      identifiers: e.identifiers.map((i) => ({ type: i.type, value: i.value })),
      observedAt: e.observedAt,
    })),
    actor: actorJson(merged.actor),
  };
}

/** `cdp.identity.v1.ProfileSplit` as canonical proto3 JSON. */
export function profileSplitJson(split: ProfileSplit): Record<string, unknown> {
  return {
    splitId: split.splitId,
    sourceProfileId: split.sourceProfileId,
    parts: split.parts.map((p) => ({
      profileId: p.profileId,
      identifiers: p.identifiers.map((i) => ({ type: i.type, value: i.value })),
    })),
    ...(split.reason ? { reason: split.reason } : {}),
    actor: actorJson(split.actor),
  };
}
