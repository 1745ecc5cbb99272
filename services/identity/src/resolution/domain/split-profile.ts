import { DomainError } from '@cdp/contracts';
import { compareStrings, identifierKey, type Identifier, type IdentifierKey } from './identifier';
import { compareEvidence, type Evidence } from './observation';
import { type Link } from './resolve-observation';

/** A profile's part of the graph: its identifiers (first seen when, where) and links. */
export interface ProfileGraph {
  readonly profileId: string;
  readonly identifiers: readonly {
    readonly identifier: Identifier;
    readonly firstSeen: Evidence;
  }[];
  readonly links: readonly Link[];
}

/** What to cut: identifiers (cut from every link) and/or whole links (by `linkKey`). */
export interface SplitRequest {
  readonly detachIdentifiers?: readonly Identifier[];
  readonly detachLinks?: readonly string[];
}

export interface SplitComponent {
  readonly profileId: string;
  readonly keepsOriginalId: boolean;
  /** Sorted by key. */
  readonly identifiers: readonly Identifier[];
  readonly links: readonly Link[];
  /** The oldest evidence the component holds (first-seen of an identifier or a link's). */
  readonly oldest: Evidence;
}

export interface SplitResult {
  readonly changed: boolean;
  /** Oldest first; the first keeps the original profile id. */
  readonly components: readonly SplitComponent[];
}

/** Stable id of a link: its identifier keys, sorted. */
export function linkKey(link: Link): string {
  return link.identifiers.map(identifierKey).sort(compareStrings).join('|');
}

/**
 * Re-resolves a profile from its link evidence without the detached identifiers and links:
 * identifiers stay together only if a remaining link joins them, and no link joins a detached
 * identifier to a kept one (the links they shared are cut, not dropped: each side keeps its
 * part of the evidence). The component holding the oldest evidence keeps the profile id; the
 * others take ids from `newProfileId`, in age order.
 */
export function splitProfile(
  graph: ProfileGraph,
  request: SplitRequest,
  newProfileId: () => string,
): SplitResult {
  const firstSeen = new Map<IdentifierKey, { identifier: Identifier; firstSeen: Evidence }>();
  for (const entry of graph.identifiers) firstSeen.set(identifierKey(entry.identifier), entry);
  const detached = new Set<IdentifierKey>();
  for (const identifier of request.detachIdentifiers ?? []) {
    const key = identifierKey(identifier);
    if (!firstSeen.has(key))
      throw new DomainError(
        'invalid',
        'identity.split_unknown_identifier',
        `${key} is not an identifier of profile ${graph.profileId}`,
        { identifier: key },
      );
    detached.add(key);
  }
  const cutLinks = new Set(request.detachLinks ?? []);
  const known = new Set(graph.links.map(linkKey));
  for (const key of cutLinks)
    if (!known.has(key))
      throw new DomainError(
        'invalid',
        'identity.split_unknown_link',
        `${key} is not a link of profile ${graph.profileId}`,
        { link: key },
      );

  // Union-find over identifier keys.
  const parent = new Map<IdentifierKey, IdentifierKey>();
  for (const key of firstSeen.keys()) parent.set(key, key);
  const find = (key: IdentifierKey): IdentifierKey => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    for (let k = key; k !== root;) {
      const next = parent.get(k) ?? root;
      parent.set(k, root);
      k = next;
    }
    return root;
  };
  const union = (a: IdentifierKey, b: IdentifierKey): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };

  const remaining: Link[] = [];
  for (const link of graph.links) {
    if (cutLinks.has(linkKey(link))) continue;
    const members = link.identifiers.filter((i) => firstSeen.has(identifierKey(i)));
    for (const side of [
      members.filter((i) => !detached.has(identifierKey(i))),
      members.filter((i) => detached.has(identifierKey(i))),
    ]) {
      if (side.length < 2) continue;
      remaining.push({ identifiers: side, evidence: link.evidence });
      const [first, ...rest] = side.map(identifierKey);
      for (const key of rest) if (first !== undefined) union(first, key);
    }
  }

  const groups = new Map<
    IdentifierKey,
    { identifiers: Identifier[]; links: Link[]; oldest: Evidence }
  >();
  for (const [key, entry] of firstSeen) {
    const root = find(key);
    const group = groups.get(root);
    if (!group)
      groups.set(root, { identifiers: [entry.identifier], links: [], oldest: entry.firstSeen });
    else {
      group.identifiers.push(entry.identifier);
      if (compareEvidence(entry.firstSeen, group.oldest) < 0) group.oldest = entry.firstSeen;
    }
  }
  for (const link of remaining) {
    const first = link.identifiers[0];
    const group = first && groups.get(find(identifierKey(first)));
    if (!group) continue;
    group.links.push(link);
    if (compareEvidence(link.evidence, group.oldest) < 0) group.oldest = link.evidence;
  }

  const ordered = [...groups.values()]
    .map((g) => ({
      ...g,
      identifiers: g.identifiers.sort((a, b) => compareStrings(identifierKey(a), identifierKey(b))),
    }))
    .sort(
      (a, b) =>
        compareEvidence(a.oldest, b.oldest) ||
        compareStrings(identifierKey(a.identifiers[0]!), identifierKey(b.identifiers[0]!)),
    );
  const components = ordered.map((g, index): SplitComponent => ({
    profileId: index === 0 ? graph.profileId : newProfileId(),
    keepsOriginalId: index === 0,
    identifiers: g.identifiers,
    links: g.links,
    oldest: g.oldest,
  }));
  return { changed: components.length > 1, components };
}
