import {
  identifierKey,
  uniqueIdentifiers,
  compareStrings,
  type Identifier,
  type IdentifierKey,
  type IdentifierType,
} from './identifier';
import { type IdentityConfig } from './identity-config';
import { compareEvidence, type Evidence, type Observation } from './observation';

/** A profile of the graph as resolution sees it (the ones holding any looked-up identifier). */
export interface ProfileState {
  readonly id: string;
  /** Oldest evidence of the profile (the oldest first-seen of its identifiers). */
  readonly firstSeen: Evidence;
  /** Bumped on every change: the repository refuses a plan made from a stale snapshot. */
  readonly version: number;
  readonly identifiers: readonly Identifier[];
}

/** A side of a split: identifiers tagged with different parts of one split stay apart. */
export interface SeparationTag {
  readonly splitId: string;
  readonly part: number;
}

/** The part of the graph one observation can touch. */
export interface GraphSnapshot {
  readonly profiles: readonly ProfileState[];
  /**
   * Separation tags of the snapshot's identifiers (only those a split kept apart): no
   * resolution may put identifiers of two parts of one split on one profile again.
   */
  readonly keptApart?: ReadonlyMap<IdentifierKey, readonly SeparationTag[]>;
}

/** Every rule resolution can fire: each plan step and conflict names one. */
export type ResolutionRule =
  | 'alias.previous_id_is_user_id'
  | 'alias.previous_id_is_anonymous_id'
  | 'resolve.no_identifiers'
  | 'resolve.matched'
  | 'trust.untrusted_merge'
  | 'separation.kept_apart'
  | 'limit.exceeded'
  | 'limit.ignored_flat_matching'
  | 'resolve.create'
  | 'resolve.attach'
  | 'resolve.merge_oldest_survives'
  | 'resolve.unchanged';

export interface ResolutionStep {
  readonly rule: ResolutionRule;
  readonly message: string;
  readonly identifiers?: readonly Identifier[];
  readonly profileIds?: readonly string[];
}

/** An identifier left out of a resolution so that two people are not glued together. */
export interface Conflict {
  readonly rule: 'limit.exceeded' | 'trust.untrusted_merge' | 'separation.kept_apart';
  /** The identifier of the observation that was left out. */
  readonly dropped: Identifier;
  /** limit.exceeded: the types over their limit, with the limit. */
  readonly limits?: readonly {
    readonly type: IdentifierType;
    readonly limit: number;
    readonly count: number;
  }[];
  /** The profiles the observation would have joined. */
  readonly profileIds: readonly string[];
  /** The observation's identifiers at the time (before the drop). */
  readonly identifiers: readonly Identifier[];
  readonly evidence: Evidence;
  readonly message: string;
}

/**
 * Identifiers observed together (a hyperedge of the graph), with the oldest evidence of that
 * exact set. Splits re-resolve a profile from these.
 */
export interface Link {
  readonly identifiers: readonly Identifier[];
  readonly evidence: Evidence;
}

export type ResolutionOutcome = 'created' | 'attached' | 'merged' | 'unchanged' | 'ignored';

export interface ResolutionPlan {
  readonly outcome: ResolutionOutcome;
  /** Canonical profile of the observation after the plan; null when it had no identifiers. */
  readonly profileId: string | null;
  readonly create?: { readonly profileId: string };
  /** Older profile survives; the others' identifiers and links move to it. */
  readonly merge?: { readonly survivorId: string; readonly mergedIds: readonly string[] };
  /** Identifiers new to the graph, attached to `profileId`. */
  readonly attach: readonly Identifier[];
  /** The observation's identifiers after conflicts (all resolve to `profileId`). */
  readonly resolved: readonly Identifier[];
  /** Present when `resolved` has two or more identifiers. */
  readonly link?: Link;
  readonly conflicts: readonly Conflict[];
  readonly steps: readonly ResolutionStep[];
  readonly evidence: Evidence;
  /** Versions of the snapshot profiles the plan was made from (optimistic check). */
  readonly expectedVersions: Readonly<Record<string, number>>;
}

/** The identifier keys to lock and load for an observation (alias previousId: both types). */
export function lookupKeys(observation: Observation): IdentifierKey[] {
  const keys = observation.identifiers.map(identifierKey);
  if (observation.previousId !== undefined)
    keys.push(
      identifierKey({ type: 'user_id', value: observation.previousId }),
      identifierKey({ type: 'anonymous_id', value: observation.previousId }),
    );
  return [...new Set(keys)].sort(compareStrings);
}

/** Oldest first: by first-seen evidence, then by id. */
export function compareProfilesByAge(a: ProfileState, b: ProfileState): number {
  return compareEvidence(a.firstSeen, b.firstSeen) || compareStrings(a.id, b.id);
}

/**
 * Decides what one observation does to the graph (pure, deterministic):
 * none of its identifiers known → create a profile; one profile → attach the new identifiers;
 * several → merge them into the oldest. Before that, identifiers are dropped lowest priority
 * first while the result would exceed a per-profile limit or a client source would merge two
 * known profiles; each drop is a conflict with its evidence. `newProfileId` is used if a
 * profile is created.
 */
export function resolveObservation(
  observation: Observation,
  snapshot: GraphSnapshot,
  config: IdentityConfig,
  newProfileId: string,
): ResolutionPlan {
  const evidence = observation.evidence;
  const steps: ResolutionStep[] = [];
  const conflicts: Conflict[] = [];
  const owner = new Map<IdentifierKey, ProfileState>();
  for (const profile of snapshot.profiles)
    for (const identifier of profile.identifiers) owner.set(identifierKey(identifier), profile);
  const expectedVersions = Object.fromEntries(snapshot.profiles.map((p) => [p.id, p.version]));

  const candidates = [...observation.identifiers];
  if (observation.previousId !== undefined) {
    const asUser: Identifier = { type: 'user_id', value: observation.previousId };
    const knownAsUser = owner.has(identifierKey(asUser));
    candidates.push(knownAsUser ? asUser : { type: 'anonymous_id', value: observation.previousId });
    steps.push({
      rule: knownAsUser ? 'alias.previous_id_is_user_id' : 'alias.previous_id_is_anonymous_id',
      message: knownAsUser
        ? `previousId "${observation.previousId}" is a known user_id`
        : `previousId "${observation.previousId}" is not a known user_id: read as anonymous_id`,
    });
  }
  let active = uniqueIdentifiers(candidates.filter((i) => config.has(i.type))).sort((a, b) =>
    config.compare(a, b),
  );
  const base = { evidence, expectedVersions, conflicts, steps };
  if (active.length === 0) {
    steps.push({ rule: 'resolve.no_identifiers', message: 'the observation has no identifiers' });
    return { ...base, outcome: 'ignored', profileId: null, attach: [], resolved: [] };
  }

  const matchedBy = (identifiers: readonly Identifier[]): ProfileState[] => {
    const found = new Map<string, ProfileState>();
    for (const identifier of identifiers) {
      const profile = owner.get(identifierKey(identifier));
      if (profile) found.set(profile.id, profile);
    }
    return [...found.values()].sort(compareProfilesByAge);
  };
  const drop = (dropped: Identifier): void => {
    active = active.filter((i) => identifierKey(i) !== identifierKey(dropped));
  };

  for (;;) {
    const matched = matchedBy(active);

    // Server-side trust: a client may link anonymous profiles to a known one, not two known ones.
    if (matched.length >= 2 && !config.isTrusted(evidence.sourceKind)) {
      const known = matched.filter((p) =>
        p.identifiers.some((i) => config.classOf(i.type) === 'known'),
      );
      if (known.length >= 2) {
        const knownIds = new Set(known.map((p) => p.id));
        const dropped = lowest(active, (i) => knownIds.has(owner.get(identifierKey(i))?.id ?? ''));
        if (dropped) {
          conflicts.push({
            rule: 'trust.untrusted_merge',
            dropped,
            profileIds: known.map((p) => p.id),
            identifiers: active,
            evidence,
            message: `a ${evidence.sourceKind} source may not merge known profiles ${[...knownIds].join(', ')}: ${identifierKey(dropped)} left out`,
          });
          steps.push({
            rule: 'trust.untrusted_merge',
            message: `dropped ${identifierKey(dropped)} (${evidence.sourceKind} sources cannot merge known profiles)`,
            identifiers: [dropped],
            profileIds: known.map((p) => p.id),
          });
          drop(dropped);
          continue;
        }
      }
    }

    // A split keeps its parts apart: the next event carrying identifiers of two parts does
    // not undo it.
    const clash = separationClash(active, matched, snapshot.keptApart);
    if (clash) {
      const dropped = lowest(
        active,
        (i) => owner.has(identifierKey(i)) || (snapshot.keptApart?.has(identifierKey(i)) ?? false),
      );
      if (dropped) {
        conflicts.push({
          rule: 'separation.kept_apart',
          dropped,
          profileIds: matched.map((p) => p.id),
          identifiers: active,
          evidence,
          message: `split ${clash} keeps these identifiers apart: ${identifierKey(dropped)} left out`,
        });
        steps.push({
          rule: 'separation.kept_apart',
          message: `dropped ${identifierKey(dropped)} (split ${clash} keeps its parts apart)`,
          identifiers: [dropped],
          profileIds: matched.map((p) => p.id),
        });
        drop(dropped);
        continue;
      }
    }

    // One matched profile at most (the common case): a cheap count says whether a limit can
    // be exceeded at all before the full union is computed.
    const over =
      matched.length <= 1 && !mayExceedLimit(active, matched[0], owner, config)
        ? []
        : overLimit(active, matched, config);
    if (over.length > 0 && !config.mergeProtection) {
      steps.push({
        rule: 'limit.ignored_flat_matching',
        message: `merge protection is off: ${over.map((o) => `${o.type} ${o.count}/${o.limit}`).join(', ')} allowed`,
      });
    } else if (over.length > 0) {
      const overTypes = new Set(over.map((o) => o.type));
      // Only identifiers that add a value of an overflowing type, or bring in a profile holding
      // one, can cure the overflow; dropping any other would lose information for nothing (and
      // make a redelivery decide differently once the first resolution placed the rest).
      const feeds = (i: Identifier): boolean => {
        if (overTypes.has(i.type)) return true;
        const profile = owner.get(identifierKey(i));
        return profile !== undefined && profile.identifiers.some((x) => overTypes.has(x.type));
      };
      const dropped = lowest(active, feeds);
      if (dropped) {
        const describe = over.map((o) => `${o.type} ${o.count} > ${o.limit}`).join(', ');
        conflicts.push({
          rule: 'limit.exceeded',
          dropped,
          limits: over,
          profileIds: matched.map((p) => p.id),
          identifiers: active,
          evidence,
          message: `resolving ${active.map(identifierKey).join(', ')} would exceed ${describe}: ${identifierKey(dropped)} left out`,
        });
        steps.push({
          rule: 'limit.exceeded',
          message: `dropped ${identifierKey(dropped)}, the lowest-priority identifier causing ${describe}`,
          identifiers: [dropped],
          profileIds: matched.map((p) => p.id),
        });
        drop(dropped);
        continue;
      }
    }

    const resolved = active;
    const attach = resolved.filter((i) => !owner.has(identifierKey(i)));
    const link = resolved.length >= 2 ? { identifiers: resolved, evidence } : undefined;
    const withLink = link ? { link } : {};
    if (matched.length > 0)
      steps.push({
        rule: 'resolve.matched',
        message: `matched ${matched.map((p) => p.id).join(', ')}`,
        identifiers: resolved.filter((i) => owner.has(identifierKey(i))),
        profileIds: matched.map((p) => p.id),
      });

    const [survivor, ...others] = matched;
    if (!survivor) {
      steps.push({
        rule: 'resolve.create',
        message: `no profile holds ${resolved.map(identifierKey).join(', ')}: created ${newProfileId}`,
        identifiers: resolved,
        profileIds: [newProfileId],
      });
      return {
        ...base,
        ...withLink,
        outcome: 'created',
        profileId: newProfileId,
        create: { profileId: newProfileId },
        attach: resolved,
        resolved,
      };
    }
    if (others.length > 0) {
      steps.push({
        rule: 'resolve.merge_oldest_survives',
        message: `merged ${others.map((p) => p.id).join(', ')} into ${survivor.id}, the oldest (first seen ${survivor.firstSeen.observedAt})`,
        identifiers: resolved,
        profileIds: [survivor.id, ...others.map((p) => p.id)],
      });
    }
    if (attach.length > 0)
      steps.push({
        rule: 'resolve.attach',
        message: `attached ${attach.map(identifierKey).join(', ')} to ${survivor.id}`,
        identifiers: attach,
        profileIds: [survivor.id],
      });
    if (others.length === 0 && attach.length === 0)
      steps.push({
        rule: 'resolve.unchanged',
        message: `${survivor.id} already holds every identifier`,
        profileIds: [survivor.id],
      });
    return {
      ...base,
      ...withLink,
      outcome: others.length > 0 ? 'merged' : attach.length > 0 ? 'attached' : 'unchanged',
      profileId: survivor.id,
      ...(others.length > 0
        ? { merge: { survivorId: survivor.id, mergedIds: others.map((p) => p.id) } }
        : {}),
      attach,
      resolved,
    };
  }
}

/** The lowest-priority identifier (they are sorted highest first) satisfying `eligible`. */
function lowest(
  sorted: readonly Identifier[],
  eligible: (identifier: Identifier) => boolean,
): Identifier | undefined {
  for (let i = sorted.length - 1; i >= 0; i--) {
    const identifier = sorted[i];
    if (identifier && eligible(identifier)) return identifier;
  }
  return undefined;
}

/**
 * The split whose parts the observation would bring together (its identifiers plus those of
 * the profiles it matches), if any.
 */
function separationClash(
  active: readonly Identifier[],
  matched: readonly ProfileState[],
  keptApart: ReadonlyMap<IdentifierKey, readonly SeparationTag[]> | undefined,
): string | undefined {
  if (!keptApart || keptApart.size === 0) return undefined;
  const sides = new Map<string, number>();
  const check = (identifier: Identifier): string | undefined => {
    for (const tag of keptApart.get(identifierKey(identifier)) ?? []) {
      const side = sides.get(tag.splitId);
      if (side === undefined) sides.set(tag.splitId, tag.part);
      else if (side !== tag.part) return tag.splitId;
    }
    return undefined;
  };
  for (const profile of matched)
    for (const identifier of profile.identifiers) {
      const split = check(identifier);
      if (split) return split;
    }
  for (const identifier of active) {
    const split = check(identifier);
    if (split) return split;
  }
  return undefined;
}

/**
 * Whether attaching the new identifiers of `active` to `profile` (or to a new profile) could
 * exceed a limit: only types that gain values can, and only past their limit. Exact for zero or
 * one matched profile (then `overLimit` is non-empty only if this is true).
 */
function mayExceedLimit(
  active: readonly Identifier[],
  profile: ProfileState | undefined,
  owner: ReadonlyMap<IdentifierKey, ProfileState>,
  config: IdentityConfig,
): boolean {
  let added: Map<IdentifierType, number> | undefined;
  for (const identifier of active) {
    if (owner.has(identifierKey(identifier))) continue;
    added ??= new Map();
    added.set(identifier.type, (added.get(identifier.type) ?? 0) + 1);
  }
  if (!added) return false;
  for (const [type, count] of added) {
    let held = 0;
    if (profile) for (const i of profile.identifiers) if (i.type === type) held++;
    if (held + count > config.limit(type)) return true;
  }
  return false;
}

/**
 * Types whose count in the would-be profile exceeds the limit. A profile already over a limit
 * (the limit was lowered, or merged with protection off) does not block what does not add to it.
 */
function overLimit(
  active: readonly Identifier[],
  matched: readonly ProfileState[],
  config: IdentityConfig,
): { type: IdentifierType; limit: number; count: number }[] {
  const union = new Map<IdentifierType, Set<string>>();
  const add = (i: Identifier): void => {
    const values = union.get(i.type) ?? new Set<string>();
    values.add(i.value);
    union.set(i.type, values);
  };
  for (const profile of matched) profile.identifiers.forEach(add);
  active.forEach(add);
  const over: { type: IdentifierType; limit: number; count: number }[] = [];
  for (const [type, values] of union) {
    const limit = config.limit(type);
    const before = Math.max(
      0,
      ...matched.map((p) => p.identifiers.filter((i) => i.type === type).length),
    );
    if (values.size > limit && values.size > before) over.push({ type, limit, count: values.size });
  }
  return over.sort((a, b) => config.priority(a.type) - config.priority(b.type));
}
