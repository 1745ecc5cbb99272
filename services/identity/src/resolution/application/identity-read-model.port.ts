import { type Identifier } from '../domain/identifier';
import { type ProfileMerged } from '../domain/identity-events';
import { type Conflict } from '../domain/resolve-observation';
import { type ProfileGraphReader } from './identity-graph.port';

/** A merge of the ledger, with when it was recorded. */
export interface MergeRecord extends Omit<ProfileMerged, 'kind' | 'workspaceId'> {
  readonly at: string;
}

/** A conflict as recorded (once per message and dropped identifier). */
export interface ConflictRecord extends Conflict {
  readonly at: string;
}

/** Read side of the identity graph for the API (workspace-scoped: other workspaces are unknown). */
export interface IdentityReadModel extends ProfileGraphReader {
  profileOf(workspaceId: string, identifier: Identifier): Promise<string | undefined>;
  /** The live profile a (possibly merged) id resolves to; undefined for an unknown id. */
  canonicalProfileId(workspaceId: string, profileId: string): Promise<string | undefined>;
  /** `canonicalId` and every id merged into it. */
  historicalIds(workspaceId: string, canonicalId: string): Promise<string[]>;
  /** Ledger entries whose survivor or merged ids include any of `profileIds`, oldest first. */
  mergesOf(workspaceId: string, profileIds: readonly string[]): Promise<MergeRecord[]>;
  /** The workspace's latest merges, newest first. */
  latestMerges(workspaceId: string, limit: number): Promise<MergeRecord[]>;
  /** Conflicts naming any of `profileIds`, oldest first. */
  conflictsOf(workspaceId: string, profileIds: readonly string[]): Promise<ConflictRecord[]>;
}
