import { DomainError } from '@cdp/contracts';
import { type Identifier } from '../domain/identifier';
import { normaliseIdentifier } from '../domain/normalise-identifier';
import { type Evidence } from '../domain/observation';
import { type Link } from '../domain/resolve-observation';
import { type IdentityConfigProvider } from './identity-settings.port';
import {
  type ConflictRecord,
  type IdentityReadModel,
  type MergeRecord,
} from './identity-read-model.port';

export interface ResolvedIdentifier {
  readonly profileId: string;
  readonly identifier: Identifier;
}

/** Lookup result: the profile holding the identifier, or none (empty `data`). */
export interface ResolveView {
  readonly data: readonly ResolvedIdentifier[];
}

export interface ProfileGraphView {
  readonly profileId: string;
  /** The id asked for (a merged id resolves to its survivor). */
  readonly requestedId: string;
  /** Ids merged into the profile, oldest first. */
  readonly mergedIds: readonly string[];
  readonly identifiers: readonly {
    readonly identifier: Identifier;
    readonly firstSeen: Evidence;
  }[];
  readonly links: readonly Link[];
  readonly merges: readonly MergeRecord[];
  readonly conflicts: readonly ConflictRecord[];
}

export interface MergeHistoryView {
  /** The profile asked about (its survivor), absent for the workspace's latest merges. */
  readonly profileId?: string;
  readonly data: readonly MergeRecord[];
}

function profileNotFound(profileId: string): DomainError {
  return new DomainError(
    'not_found',
    'identity.profile_not_found',
    `profile ${profileId} not found`,
    {
      profileId,
    },
  );
}

/** What the identity API reads: lookups, a profile's graph and its merge history. */
export class IdentityQueriesService {
  constructor(
    private readonly graph: IdentityReadModel,
    private readonly configs: IdentityConfigProvider,
  ) {}

  /** The profile of an identifier, normalised like resolution does (`A@X.io` → `a@x.io`). */
  async resolve(workspaceId: string, type: string, value: string): Promise<ResolveView> {
    const config = await this.configs.configFor(workspaceId);
    const normalised = normaliseIdentifier(config, type, value, 'value');
    if (!normalised.ok)
      throw new DomainError(
        'invalid',
        'identity.invalid_identifier',
        `${type} "${value}" is not an identifier (${normalised.rejected.rule})`,
        { type, rule: normalised.rejected.rule },
      );
    const profileId = await this.graph.profileOf(workspaceId, normalised.identifier);
    return {
      data: profileId === undefined ? [] : [{ profileId, identifier: normalised.identifier }],
    };
  }

  async profileGraph(workspaceId: string, profileId: string): Promise<ProfileGraphView> {
    const canonical = await this.graph.canonicalProfileId(workspaceId, profileId);
    if (canonical === undefined) throw profileNotFound(profileId);
    const [graph, ids] = await Promise.all([
      this.graph.profileGraph(workspaceId, canonical),
      this.graph.historicalIds(workspaceId, canonical),
    ]);
    if (!graph) throw profileNotFound(profileId);
    const [merges, conflicts] = await Promise.all([
      this.graph.mergesOf(workspaceId, ids),
      this.graph.conflictsOf(workspaceId, ids),
    ]);
    return {
      profileId: canonical,
      requestedId: profileId,
      mergedIds: ids.slice(1),
      identifiers: graph.identifiers,
      links: graph.links,
      merges,
      conflicts,
    };
  }

  /**
   * The ledger entries that explain a profile (every merge into it or its merged ids, oldest
   * first); without a profile, the workspace's latest merges (newest first).
   */
  async mergeHistory(
    workspaceId: string,
    profileId: string | undefined,
    limit = 100,
  ): Promise<MergeHistoryView> {
    if (profileId === undefined) return { data: await this.graph.latestMerges(workspaceId, limit) };
    const canonical = await this.graph.canonicalProfileId(workspaceId, profileId);
    if (canonical === undefined) throw profileNotFound(profileId);
    const ids = await this.graph.historicalIds(workspaceId, canonical);
    return { profileId: canonical, data: await this.graph.mergesOf(workspaceId, ids) };
  }
}
