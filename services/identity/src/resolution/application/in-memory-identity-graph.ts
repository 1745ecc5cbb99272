import {
  compareStrings,
  identifierKey,
  type Identifier,
  type IdentifierKey,
} from '../domain/identifier';
import { type ProfileMerged } from '../domain/identity-events';
import { compareEvidence, type Evidence } from '../domain/observation';
import {
  type Conflict,
  type GraphSnapshot,
  type Link,
  type ResolutionPlan,
  type SeparationTag,
} from '../domain/resolve-observation';
import { linkKey, type ProfileGraph } from '../domain/split-profile';
import { GraphChangedError } from './graph-changed.error';
import {
  type BatchGraphTransaction,
  type BatchIdentityGraphRepository,
  type IdentityGraphRepository,
  type IdentityGraphTransaction,
  type ProfileGraphReader,
} from './identity-graph.port';
import { type BatchChanges, type BatchSnapshot } from '../domain/resolve-batch';

interface StoredProfile {
  readonly id: string;
  version: number;
  readonly identifiers: Map<IdentifierKey, { identifier: Identifier; firstSeen: Evidence }>;
  readonly links: Map<string, Link>;
}

interface WorkspaceGraph {
  readonly profiles: Map<string, StoredProfile>;
  readonly owner: Map<IdentifierKey, string>;
  /** Merged profile id → the profile it was merged into. */
  readonly redirects: Map<string, string>;
  readonly conflicts: Map<string, Conflict>;
  readonly merges: ProfileMerged[];
  /** Splits' "keep apart" tags per identifier key. */
  readonly keptApart: Map<IdentifierKey, SeparationTag[]>;
}

export interface InMemoryGraphOptions {
  /** Yields to the event loop between snapshot and apply, so concurrent tests interleave. */
  readonly interleave?: boolean;
}

/**
 * The identity graph ports in memory, with the production semantics (keyed locks, optimistic
 * versions, oldest evidence kept): the reference the Postgres implementation must agree with.
 */
export class InMemoryIdentityGraph
  implements IdentityGraphRepository, BatchIdentityGraphRepository, ProfileGraphReader
{
  private readonly workspaces = new Map<string, WorkspaceGraph>();
  private readonly lockTails = new Map<string, Promise<void>>();

  constructor(private readonly options: InMemoryGraphOptions = {}) {}

  async withLocks<T>(
    workspaceId: string,
    identifierKeys: readonly IdentifierKey[],
    work: (graph: IdentityGraphTransaction) => Promise<T>,
  ): Promise<T> {
    const keys = [...new Set(identifierKeys)]
      .sort(compareStrings)
      .map((k) => `${workspaceId}\u0000${k}`);
    const releases: (() => void)[] = [];
    try {
      for (const key of keys) releases.push(await this.lock(key));
      return await work(this.transaction(this.workspace(workspaceId)));
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  async withBatchLocks<T>(
    workspaceId: string,
    identifierKeys: readonly IdentifierKey[],
    work: (graph: BatchGraphTransaction) => Promise<T>,
  ): Promise<T> {
    return this.withLocks(workspaceId, identifierKeys, () => {
      const graph = this.workspace(workspaceId);
      return work({
        loadLockedSnapshot: (keys) => Promise.resolve(this.batchSnapshot(graph, keys)),
        applyBatch: (changes) => {
          this.applyBatch(graph, changes);
          return Promise.resolve();
        },
      });
    });
  }

  /** Records a split's parts as kept apart (what the Postgres split does). */
  keepApart(workspaceId: string, splitId: string, parts: readonly (readonly Identifier[])[]): void {
    const tags = this.workspace(workspaceId).keptApart;
    parts.forEach((identifiers, part) => {
      for (const identifier of identifiers) {
        const key = identifierKey(identifier);
        tags.set(key, [...(tags.get(key) ?? []), { splitId, part }]);
      }
    });
  }

  profileGraph(workspaceId: string, profileId: string): Promise<ProfileGraph | undefined> {
    const profile = this.workspace(workspaceId).profiles.get(
      this.canonical(workspaceId, profileId),
    );
    if (!profile) return Promise.resolve(undefined);
    return Promise.resolve({
      profileId: profile.id,
      identifiers: [...profile.identifiers.values()],
      links: [...profile.links.values()],
    });
  }

  /** Current profile of a (possibly merged) profile id. */
  canonical(workspaceId: string, profileId: string): string {
    const redirects = this.workspace(workspaceId).redirects;
    let id = profileId;
    for (let next = redirects.get(id); next !== undefined; next = redirects.get(id)) id = next;
    return id;
  }

  profileOf(workspaceId: string, identifier: Identifier): string | undefined {
    return this.workspace(workspaceId).owner.get(identifierKey(identifier));
  }

  /** The graph as identifier components: sorted keys per profile, profiles sorted. */
  components(workspaceId: string): string[][] {
    return [...this.workspace(workspaceId).profiles.values()]
      .map((p) => [...p.identifiers.keys()].sort(compareStrings))
      .sort((a, b) => compareStrings(a.join('|'), b.join('|')));
  }

  profiles(workspaceId: string): readonly StoredProfile[] {
    return [...this.workspace(workspaceId).profiles.values()];
  }

  conflicts(workspaceId: string): readonly Conflict[] {
    return [...this.workspace(workspaceId).conflicts.values()];
  }

  merges(workspaceId: string): readonly ProfileMerged[] {
    return this.workspace(workspaceId).merges;
  }

  private workspace(workspaceId: string): WorkspaceGraph {
    let graph = this.workspaces.get(workspaceId);
    if (!graph) {
      graph = {
        profiles: new Map(),
        owner: new Map(),
        redirects: new Map(),
        conflicts: new Map(),
        merges: [],
        keptApart: new Map(),
      };
      this.workspaces.set(workspaceId, graph);
    }
    return graph;
  }

  private async lock(key: string): Promise<() => void> {
    const previous = this.lockTails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.lockTails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.lockTails.get(key) === tail) this.lockTails.delete(key);
    };
  }

  private transaction(graph: WorkspaceGraph): IdentityGraphTransaction {
    const interleave = this.options.interleave ?? false;
    return {
      loadSnapshot: async (keys): Promise<GraphSnapshot> => {
        const ids = new Set<string>();
        for (const key of keys) {
          const id = graph.owner.get(key);
          if (id !== undefined) ids.add(id);
        }
        const profiles = [...ids].flatMap((id) => {
          const p = graph.profiles.get(id);
          if (!p) return [];
          const entries = [...p.identifiers.values()];
          const firstSeen = entries.reduce(
            (min, e) => (compareEvidence(e.firstSeen, min) < 0 ? e.firstSeen : min),
            entries[0]!.firstSeen,
          );
          return [
            { id, version: p.version, firstSeen, identifiers: entries.map((e) => e.identifier) },
          ];
        });
        if (interleave) await new Promise<void>((resolve) => setImmediate(resolve));
        return graph.keptApart.size > 0 ? { profiles, keptApart: graph.keptApart } : { profiles };
      },
      apply: (plan, merged) => {
        this.apply(graph, plan, merged);
        return Promise.resolve();
      },
    };
  }

  private batchSnapshot(graph: WorkspaceGraph, keys: readonly IdentifierKey[]): BatchSnapshot {
    const ids = new Set<string>();
    for (const key of keys) {
      const id = graph.owner.get(key);
      if (id !== undefined) ids.add(id);
    }
    const profiles = [...ids].flatMap((id) => {
      const p = graph.profiles.get(id);
      return p ? [{ id, version: p.version, identifiers: [...p.identifiers.values()] }] : [];
    });
    return graph.keptApart.size > 0 ? { profiles, keptApart: graph.keptApart } : { profiles };
  }

  /** The net changes of a batch, with the semantics of the Postgres statements. */
  private applyBatch(graph: WorkspaceGraph, changes: BatchChanges): void {
    for (const created of changes.createdProfiles) {
      if (created.mergedInto !== null) graph.redirects.set(created.id, created.mergedInto);
      else
        graph.profiles.set(created.id, {
          id: created.id,
          version: 0,
          identifiers: new Map(),
          links: new Map(),
        });
    }
    for (const { id, survivorId } of changes.mergedProfiles) {
      const source = graph.profiles.get(id);
      const target = graph.profiles.get(survivorId);
      if (!source || !target) throw new GraphChangedError(id);
      for (const [key, entry] of source.identifiers) {
        target.identifiers.set(key, entry);
        graph.owner.set(key, survivorId);
      }
      for (const [key, link] of source.links) keepOldestLink(target.links, key, link);
      graph.profiles.delete(id);
      graph.redirects.set(id, survivorId);
    }
    for (const entry of changes.newIdentifiers) {
      const target = graph.profiles.get(entry.profileId);
      if (!target) throw new GraphChangedError(entry.profileId);
      const key = identifierKey(entry.identifier);
      target.identifiers.set(key, { identifier: entry.identifier, firstSeen: entry.firstSeen });
      graph.owner.set(key, entry.profileId);
    }
    for (const entry of changes.olderFirstSeen) {
      const key = identifierKey(entry.identifier);
      graph.profiles.get(graph.owner.get(key) ?? '')?.identifiers.set(key, entry);
    }
    const changed = new Set(changes.changedProfiles);
    for (const { profileId, link } of changes.links) {
      const target = graph.profiles.get(profileId);
      if (target && keepOldestLink(target.links, linkKey(link), link)) changed.add(profileId);
    }
    for (const conflict of changes.conflicts)
      graph.conflicts.set(
        `${conflict.evidence.messageId}\u0000${identifierKey(conflict.dropped)}`,
        conflict,
      );
    for (const id of changed) {
      const profile = graph.profiles.get(id);
      if (profile) profile.version++;
    }
    graph.merges.push(...changes.merges);
  }

  private apply(
    graph: WorkspaceGraph,
    plan: ResolutionPlan,
    merged: ProfileMerged | undefined,
  ): void {
    for (const [id, version] of Object.entries(plan.expectedVersions))
      if (graph.profiles.get(id)?.version !== version) throw new GraphChangedError(id);
    for (const conflict of plan.conflicts)
      graph.conflicts.set(
        `${conflict.evidence.messageId}\u0000${identifierKey(conflict.dropped)}`,
        conflict,
      );
    if (plan.profileId === null) return;

    let target = graph.profiles.get(plan.profileId);
    let changed = plan.outcome !== 'unchanged';
    if (plan.create) {
      target = { id: plan.create.profileId, version: 0, identifiers: new Map(), links: new Map() };
      graph.profiles.set(target.id, target);
    }
    if (!target) throw new GraphChangedError(plan.profileId);
    for (const mergedId of plan.merge?.mergedIds ?? []) {
      const source = graph.profiles.get(mergedId);
      if (!source) throw new GraphChangedError(mergedId);
      for (const [key, entry] of source.identifiers) {
        target.identifiers.set(key, entry);
        graph.owner.set(key, target.id);
      }
      for (const [key, link] of source.links) keepOldestLink(target.links, key, link);
      graph.profiles.delete(mergedId);
      graph.redirects.set(mergedId, target.id);
    }
    for (const identifier of plan.resolved) {
      const key = identifierKey(identifier);
      const existing = target.identifiers.get(key);
      if (!existing) {
        target.identifiers.set(key, { identifier, firstSeen: plan.evidence });
        graph.owner.set(key, target.id);
      } else if (compareEvidence(plan.evidence, existing.firstSeen) < 0) {
        target.identifiers.set(key, { identifier, firstSeen: plan.evidence });
        changed = true;
      }
    }
    if (plan.link) changed = keepOldestLink(target.links, linkKey(plan.link), plan.link) || changed;
    // Like the SQL: no write, no version bump, when the observation taught nothing new.
    if (changed) target.version++;
    if (merged) graph.merges.push(merged);
  }
}

function keepOldestLink(links: Map<string, Link>, key: string, link: Link): boolean {
  const existing = links.get(key);
  if (existing && compareEvidence(link.evidence, existing.evidence) >= 0) return false;
  links.set(key, link);
  return true;
}
