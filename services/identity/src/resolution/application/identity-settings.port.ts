import { type IdentityConfig, type SourceKind } from '../domain/identity-config';

/** A workspace's identity rules (managed by API; defaults until configured). */
export interface IdentityConfigProvider {
  configFor(workspaceId: string): Promise<IdentityConfig>;
}

/**
 * The kind of an ingestion source (projection of ingestion's source events). Unknown sources
 * are `browser`: the least trusted kind.
 */
export interface SourceKindLookup {
  kindOf(workspaceId: string, sourceId: string): Promise<SourceKind>;
}

/** Ids for new profiles and merges (random in production, scripted in tests). */
export interface IdGenerator {
  profileId(): string;
  mergeId(): string;
}
