import { type Identifier } from './identifier';
import { type SourceKind } from './identity-config';

/** Where an observation came from (`cdp.identity.v1.EvidenceSource`). */
export type EvidenceSource = 'event' | 'crm' | 'import' | 'manual';

/** Who saw the identifiers together, where and when: attached to every link and merge. */
export interface Evidence {
  readonly source: EvidenceSource;
  /** Id of the observation in its source: an event's messageId, a CRM event's id. */
  readonly messageId: string;
  /** The channel: an ingestion source id, `crm`, an API key id. */
  readonly sourceId: string;
  readonly sourceKind: SourceKind;
  /** ISO-8601 UTC time of the observation (the event timestamp fixed at ingestion). */
  readonly observedAt: string;
}

/** Identifiers seen together in one observation: the unit identity resolution works on. */
export interface Observation {
  readonly workspaceId: string;
  /** Normalised, unique. */
  readonly identifiers: readonly Identifier[];
  /**
   * An alias call's previousId: an anonymous id or a user id the person had before. It is
   * typed `user_id` when the graph already holds it as a user id, else `anonymous_id`.
   */
  readonly previousId?: string;
  readonly evidence: Evidence;
}

/** Total order of evidence: older first, then by message id (the same in every process). */
export function compareEvidence(a: Evidence, b: Evidence): number {
  const x = a.observedAt;
  const y = b.observedAt;
  // Canonical UTC instants (what ingestion fixes: 2025-01-01T00:00:00.000Z) sort as strings.
  if (x.length === 24 && y.length === 24 && x.endsWith('Z') && y.endsWith('Z')) {
    if (x !== y) return x < y ? -1 : 1;
    return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
  }
  const ta = Date.parse(a.observedAt);
  const tb = Date.parse(b.observedAt);
  if (ta !== tb) return ta - tb;
  return a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0;
}
