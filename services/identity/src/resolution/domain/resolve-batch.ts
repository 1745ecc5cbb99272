import { identifierKey, type Identifier, type IdentifierKey } from './identifier';
import { type IdentityConfig } from './identity-config';
import { profileMergedOf, type ProfileMerged } from './identity-events';
import { compareEvidence, type Evidence, type Observation } from './observation';
import {
  lookupKeys,
  resolveObservation,
  type Conflict,
  type Link,
  type ProfileState,
  type ResolutionOutcome,
  type ResolutionPlan,
  type SeparationTag,
} from './resolve-observation';
import { linkKey } from './split-profile';

/** An identifier of the graph with the oldest evidence it was seen with. */
export interface StoredIdentifier {
  readonly identifier: Identifier;
  readonly firstSeen: Evidence;
}

/** A profile as the batch loads it: every identifier, each with its first-seen evidence. */
export interface StoredProfile {
  readonly id: string;
  readonly version: number;
  readonly identifiers: readonly StoredIdentifier[];
}

/** The profiles holding any identifier of a batch (locked for the batch's transaction). */
export interface BatchSnapshot {
  readonly profiles: readonly StoredProfile[];
  /** Separation tags of the snapshot's identifiers (see GraphSnapshot.keptApart). */
  readonly keptApart?: ReadonlyMap<IdentifierKey, readonly SeparationTag[]>;
}

/**
 * What a batch does to the graph, net: what the repository writes in one transaction.
 * Profile ids are final (a profile created and merged within the batch is named by its
 * survivor wherever it would own something).
 */
export interface BatchChanges {
  /** Profiles created by the batch; `mergedInto` when a later observation merged them away. */
  readonly createdProfiles: readonly { readonly id: string; readonly mergedInto: string | null }[];
  /** Profiles of the snapshot merged by the batch, with the live profile they now resolve to. */
  readonly mergedProfiles: readonly { readonly id: string; readonly survivorId: string }[];
  /** Identifiers new to the graph, on their final profile. */
  readonly newIdentifiers: readonly (StoredIdentifier & { readonly profileId: string })[];
  /** Identifiers of the snapshot that were seen with older evidence than they had. */
  readonly olderFirstSeen: readonly StoredIdentifier[];
  /** Identifier sets seen together, oldest evidence per set, on their final profile. */
  readonly links: readonly { readonly profileId: string; readonly link: Link }[];
  /** Once per message and dropped identifier. */
  readonly conflicts: readonly Conflict[];
  /** In the order they happened. */
  readonly merges: readonly ProfileMerged[];
  /** Live profiles whose identifiers, first-seen evidence or merges changed (version bump). */
  readonly changedProfiles: readonly string[];
}

export interface BatchItemResult {
  /** Canonical profile at the end of the batch; null without usable identifiers. */
  readonly profileId: string | null;
  readonly outcome: ResolutionOutcome;
  /** The observation's identifiers kept by the resolution (all on `profileId`). */
  readonly resolved: readonly Identifier[];
}

export interface BatchResolution {
  /** One per observation, in order. */
  readonly results: readonly BatchItemResult[];
  readonly changes: BatchChanges;
}

export interface BatchIds {
  profileId(): string;
  mergeId(): string;
}

interface WorkingProfile {
  readonly id: string;
  version: number;
  firstSeen: Evidence;
  readonly identifiers: Map<IdentifierKey, StoredIdentifier>;
  /** Cached `ProfileState.identifiers`, rebuilt after a change. */
  list: Identifier[] | undefined;
}

/**
 * The plan of an observation whose identifiers are all on one profile already (most events of a
 * known visitor): nothing to decide, `resolveObservation` would answer `unchanged` (one matched
 * profile: no trust or limit rule can fire). Saves the general planning on the hot path;
 * undefined when anything else may happen.
 */
function alreadyTogether(
  observation: Observation,
  owner: ReadonlyMap<IdentifierKey, WorkingProfile>,
  config: IdentityConfig,
): ResolutionPlan | undefined {
  if (observation.previousId !== undefined || observation.identifiers.length === 0)
    return undefined;
  let profile: WorkingProfile | undefined;
  for (const identifier of observation.identifiers) {
    if (!config.has(identifier.type)) return undefined;
    const holder = owner.get(identifierKey(identifier));
    if (!holder || (profile && holder !== profile)) return undefined;
    profile = holder;
  }
  if (!profile) return undefined;
  const evidence = observation.evidence;
  const resolved =
    observation.identifiers.length === 1
      ? observation.identifiers
      : [...observation.identifiers].sort((a, b) => config.compare(a, b));
  return {
    outcome: 'unchanged',
    profileId: profile.id,
    attach: [],
    resolved,
    ...(resolved.length >= 2 ? { link: { identifiers: resolved, evidence } } : {}),
    conflicts: [],
    steps: [
      {
        rule: 'resolve.unchanged',
        message: `${profile.id} already holds every identifier`,
        profileIds: [profile.id],
      },
    ],
    evidence,
    expectedVersions: { [profile.id]: profile.version },
  };
}

/** `resolveObservation` over the profiles of the working graph that hold the lookup keys. */
function resolveAgainst(
  observation: Observation,
  owner: ReadonlyMap<IdentifierKey, WorkingProfile>,
  config: IdentityConfig,
  ids: BatchIds,
  keptApart: BatchSnapshot['keptApart'],
): ResolutionPlan {
  const touched = new Map<string, WorkingProfile>();
  for (const key of lookupKeys(observation)) {
    const profile = owner.get(key);
    if (profile) touched.set(profile.id, profile);
  }
  const states: ProfileState[] = [...touched.values()].map((p) => ({
    id: p.id,
    version: p.version,
    firstSeen: p.firstSeen,
    identifiers: (p.list ??= [...p.identifiers.values()].map((e) => e.identifier)),
  }));
  const snapshot = keptApart ? { profiles: states, keptApart } : { profiles: states };
  return resolveObservation(observation, snapshot, config, ids.profileId());
}

/** Every identifier key a batch must lock and load (its observations' lookup keys). */
export function batchLookupKeys(observations: readonly Observation[]): IdentifierKey[] {
  const keys = new Set<IdentifierKey>();
  for (const observation of observations) for (const key of lookupKeys(observation)) keys.add(key);
  return [...keys];
}

/**
 * Resolves observations in order as if each were resolved alone against the graph left by the
 * previous ones (same rules, same plans as `resolveObservation`), over an in-memory copy of the
 * snapshot, and sums up the net changes so they can be written at once. Pure: the snapshot must
 * hold every profile owning any of `batchLookupKeys(observations)`.
 */
export function resolveBatch(
  observations: readonly Observation[],
  snapshot: BatchSnapshot,
  config: IdentityConfig,
  ids: BatchIds,
): BatchResolution {
  const profiles = new Map<string, WorkingProfile>();
  const owner = new Map<IdentifierKey, WorkingProfile>();
  const stored = new Set<IdentifierKey>();
  for (const p of snapshot.profiles) {
    const first = p.identifiers[0];
    if (!first) continue;
    const profile: WorkingProfile = {
      id: p.id,
      version: p.version,
      firstSeen: first.firstSeen,
      identifiers: new Map(),
      list: undefined,
    };
    for (const entry of p.identifiers) {
      const key = identifierKey(entry.identifier);
      profile.identifiers.set(key, entry);
      owner.set(key, profile);
      stored.add(key);
      if (compareEvidence(entry.firstSeen, profile.firstSeen) < 0)
        profile.firstSeen = entry.firstSeen;
    }
    profiles.set(p.id, profile);
  }

  const created = new Set<string>();
  const redirect = new Map<string, string>();
  const olderFirstSeen = new Map<IdentifierKey, StoredIdentifier>();
  const links = new Map<string, { profileId: string; link: Link }>();
  const conflicts = new Map<string, Conflict>();
  const merges: ProfileMerged[] = [];
  const changed = new Set<string>();
  // Only what each event needs is kept: whole plans (steps, messages) would outlive the young
  // generation for the length of the batch.
  const results: {
    profileId: string | null;
    outcome: ResolutionOutcome;
    resolved: readonly Identifier[];
  }[] = [];

  for (const observation of observations) {
    const plan =
      alreadyTogether(observation, owner, config) ??
      resolveAgainst(observation, owner, config, ids, snapshot.keptApart);
    results.push({ profileId: plan.profileId, outcome: plan.outcome, resolved: plan.resolved });
    for (const conflict of plan.conflicts)
      conflicts.set(
        `${conflict.evidence.messageId}\u0000${identifierKey(conflict.dropped)}`,
        conflict,
      );
    if (plan.profileId === null) continue;

    let target = profiles.get(plan.profileId);
    let didChange = plan.outcome !== 'unchanged';
    if (plan.create) {
      target = {
        id: plan.create.profileId,
        version: 0,
        firstSeen: plan.evidence,
        identifiers: new Map(),
        list: undefined,
      };
      profiles.set(target.id, target);
      created.add(target.id);
    }
    if (!target) throw new Error(`batch resolution lost profile ${plan.profileId}`);
    for (const mergedId of plan.merge?.mergedIds ?? []) {
      const source = profiles.get(mergedId);
      if (!source) throw new Error(`batch resolution lost profile ${mergedId}`);
      for (const [key, entry] of source.identifiers) {
        target.identifiers.set(key, entry);
        owner.set(key, target);
      }
      if (compareEvidence(source.firstSeen, target.firstSeen) < 0)
        target.firstSeen = source.firstSeen;
      profiles.delete(mergedId);
      redirect.set(mergedId, target.id);
      changed.delete(mergedId);
    }
    for (const identifier of plan.resolved) {
      const key = identifierKey(identifier);
      const existing = target.identifiers.get(key);
      if (!existing) {
        target.identifiers.set(key, { identifier, firstSeen: plan.evidence });
        owner.set(key, target);
      } else if (compareEvidence(plan.evidence, existing.firstSeen) < 0) {
        const older = { identifier, firstSeen: plan.evidence };
        target.identifiers.set(key, older);
        if (stored.has(key)) olderFirstSeen.set(key, older);
        didChange = true;
      }
    }
    if (compareEvidence(plan.evidence, target.firstSeen) < 0) target.firstSeen = plan.evidence;
    if (plan.link) {
      const key = linkKey(plan.link);
      const existing = links.get(key);
      if (!existing || compareEvidence(plan.link.evidence, existing.link.evidence) < 0)
        links.set(key, { profileId: target.id, link: plan.link });
    }
    if (didChange) {
      target.version++;
      target.list = undefined;
      changed.add(target.id);
    }
    const merged = plan.merge
      ? profileMergedOf(plan, observation.workspaceId, ids.mergeId())
      : undefined;
    if (merged) merges.push(merged);
  }

  const canonical = (id: string): string => {
    let current = id;
    for (let next = redirect.get(current); next !== undefined; next = redirect.get(current))
      current = next;
    return current;
  };
  const newIdentifiers: (StoredIdentifier & { profileId: string })[] = [];
  for (const profile of profiles.values())
    for (const [key, entry] of profile.identifiers)
      if (!stored.has(key)) newIdentifiers.push({ ...entry, profileId: profile.id });

  return {
    results: results.map((result) => ({
      profileId: result.profileId === null ? null : canonical(result.profileId),
      outcome: result.outcome,
      resolved: result.resolved,
    })),
    changes: {
      createdProfiles: [...created].map((id) => ({
        id,
        mergedInto: redirect.has(id) ? canonical(id) : null,
      })),
      mergedProfiles: [...redirect.keys()]
        .filter((id) => !created.has(id))
        .map((id) => ({ id, survivorId: canonical(id) })),
      newIdentifiers,
      olderFirstSeen: [...olderFirstSeen.values()],
      links: [...links.values()].map((l) => ({ profileId: canonical(l.profileId), link: l.link })),
      conflicts: [...conflicts.values()],
      merges,
      changedProfiles: [...new Set([...changed].map(canonical))],
    },
  };
}
