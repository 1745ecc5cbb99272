import { uniqueIdentifiers, type Identifier } from './identifier';
import { type IdentityConfig } from './identity-config';
import { normaliseIdentifier, type RejectedIdentifier } from './normalise-identifier';
import { type Observation } from './observation';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A CRM contact change as identity reads it (`cdp.crm.v1.CrmEvent` of aggregate `contact`,
 * type `created` or `updated`; docs/integration-contracts.md "CRM contacts as identity evidence").
 */
export interface CrmContactChange {
  readonly workspaceId: string;
  readonly contactId: string;
  /** Aggregate version after the change: (contactId, version) names the change for good. */
  readonly version: number;
  readonly type: 'created' | 'updated';
  /** `created`: every field set; `updated`: only the changed ones (`null` = cleared). */
  readonly fields: Readonly<Record<string, Json>>;
  /** `crm`, `import` or `cdp` (a change the CRM made because of us: never evidence). */
  readonly origin: string;
  /** ISO-8601 UTC time of the change in the CRM. */
  readonly occurredAt: string;
}

/** Contact fields that are identifiers, with the identifier type they become. */
const IDENTIFYING_FIELDS: readonly { readonly field: string; readonly type: string }[] = [
  { field: 'email', type: 'email' },
  { field: 'phone', type: 'phone' },
];

/** Contact fields the profile learns as Segment traits (same names on both sides). */
const TRAIT_FIELDS = ['firstName', 'lastName', 'email', 'phone', 'title'] as const;

/** Stable id of a contact change: a redelivery or replay names the same observation. */
export function crmContactMessageId(change: Pick<CrmContactChange, 'contactId' | 'version'>) {
  return `crm-contact-${change.contactId}-v${change.version}`;
}

/** A change the CRM made because of a CDP message is an echo, not new evidence (no loops). */
export function isCrmEcho(change: Pick<CrmContactChange, 'origin'>): boolean {
  return change.origin === 'cdp';
}

/**
 * The observation of a contact change (pure): `crm_contact_id` plus the email and phone it
 * carries, normalised by the workspace's rules, with `crm` evidence from the trusted `crm`
 * source kind (the CRM is a server: it may merge two known profiles). A cleared or invalid
 * email/phone is simply not an identifier (an identifier once seen stays on its profile).
 */
export function crmContactObservation(
  change: CrmContactChange,
  config: IdentityConfig,
): { readonly observation: Observation; readonly rejected: readonly RejectedIdentifier[] } {
  const identifiers: Identifier[] = [];
  const rejected: RejectedIdentifier[] = [];
  const read = (type: string, raw: unknown, path: string): void => {
    if (raw === undefined || raw === null || raw === '') return;
    const result = normaliseIdentifier(config, type, raw, path);
    if (result.ok) identifiers.push(result.identifier);
    else rejected.push(result.rejected);
  };
  read('crm_contact_id', change.contactId, 'aggregateId');
  for (const { field, type } of IDENTIFYING_FIELDS)
    read(type, change.fields[field], `payload.fields.${field}`);
  return {
    observation: {
      workspaceId: change.workspaceId,
      identifiers: uniqueIdentifiers(identifiers),
      evidence: {
        source: 'crm',
        messageId: crmContactMessageId(change),
        sourceId: 'crm',
        sourceKind: 'crm',
        observedAt: change.occurredAt,
      },
    },
    rejected,
  };
}

/**
 * The synthetic `identify` the profile service reads from the resolved stream: the contact's
 * trait fields as Segment traits (`null` = unset), `context.crm` naming the contact, stamped
 * with the profile the contact resolved to. Same flat item shape as every resolved event.
 */
export function crmContactResolvedEvent(
  change: CrmContactChange,
  profileId: string | null,
): Record<string, unknown> {
  const traits: Record<string, Json> = {};
  for (const field of TRAIT_FIELDS)
    if (Object.prototype.hasOwnProperty.call(change.fields, field))
      traits[field] = change.fields[field] ?? null;
  return {
    type: 'identify',
    messageId: crmContactMessageId(change),
    workspaceId: change.workspaceId,
    sourceId: 'crm',
    timestamp: change.occurredAt,
    traits,
    context: {
      crm: {
        aggregateType: 'contact',
        aggregateId: change.contactId,
        version: change.version,
        origin: change.origin,
      },
    },
    ...(profileId === null ? {} : { profileId }),
  };
}

/** Partitions of the resolved stream a contact's echoes are spread over. */
export const CRM_ECHO_PARTITIONS = 8;

/**
 * Partition of a contact's echoes: FNV-1a of (workspace, contact id), like ingestion's
 * hash(workspace, person key), so one contact's changes stay in order on one partition.
 */
export function crmContactPartition(workspaceId: string, contactId: string): number {
  let hash = 0x811c9dc5;
  const input = `${workspaceId}\u0000crm:${contactId}`;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % CRM_ECHO_PARTITIONS;
}
