import { eventSubject, SUBJECTS } from '@cdp/contracts';
import { type ProfileUpdate } from '../application/profile-store.port';
import { type TraitSourceType } from '../domain/trait-register';

/** Contract name carried in the `cdp-schema` header of what profile publishes. */
export const PROFILE_UPDATED_SCHEMA = 'cdp.profile.v1.ProfileUpdated';

const SOURCE_TYPE: Readonly<Record<TraitSourceType, string>> = {
  event: 'TRAIT_SOURCE_TYPE_EVENT',
  crm: 'TRAIT_SOURCE_TYPE_CRM',
  computed: 'TRAIT_SOURCE_TYPE_COMPUTED',
  import: 'TRAIT_SOURCE_TYPE_IMPORT',
  manual: 'TRAIT_SOURCE_TYPE_MANUAL',
};

export function profileUpdatedSubject(workspaceId: string): string {
  return eventSubject(SUBJECTS.profileUpdated, workspaceId);
}

/** Stable per (profile, version): a relay retry is deduplicated by JetStream. */
export function profileUpdatedMessageId(update: ProfileUpdate): string {
  return `profile-updated:${update.profileId}:v${update.version}`;
}

/** `cdp.profile.v1.ProfileUpdated` as canonical proto3 JSON (uint64 as a string). */
export function profileUpdatedJson(update: ProfileUpdate): Record<string, unknown> {
  return {
    profileId: update.profileId,
    version: String(update.version),
    changes: update.changes.map((c) => ({
      key: c.key,
      operation: c.operation === 'set' ? 'TRAIT_OPERATION_SET' : 'TRAIT_OPERATION_UNSET',
      ...(c.value !== undefined ? { value: c.value } : {}),
      ...(c.previousValue !== undefined ? { previousValue: c.previousValue } : {}),
      provenance: {
        sourceType: SOURCE_TYPE[c.provenance.sourceType],
        sourceId: c.provenance.sourceId,
        observedAt: c.provenance.observedAt,
      },
    })),
  };
}
