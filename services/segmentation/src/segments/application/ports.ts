import { type JsonValue, type SegmentDefinition, type EventStep } from '../domain/definition';
import { type BehaviorResult, type ProfileFacts } from '../domain/evaluate';
import { type MatcherKey } from '../domain/event-matcher';

export type EvaluationMode = 'realtime' | 'batch';

export interface StoredSegment {
  readonly workspaceId: string;
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly version: number;
  readonly definition: SegmentDefinition;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastEvaluation: Readonly<Record<string, unknown>> | null;
}

export interface TraitChange {
  readonly key: string;
  readonly operation: 'set' | 'unset';
  readonly value?: JsonValue;
}

export interface Hit {
  readonly matcherKey: MatcherKey;
  readonly messageId: string;
  readonly profileId: string;
  readonly occurredAt: number;
  readonly userId: string;
  readonly anonymousId: string;
}

/** One CRM domain event as consumed (docs/integration-contracts.md). */
export interface CrmChange {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly type: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface IdentifierRef {
  readonly type: string;
  readonly value: string;
}

/** Everything real-time evaluation reads and writes, inside one Postgres transaction. */
export interface SegmentationTx {
  ensureProfiles(ws: string, profileIds: readonly string[]): Promise<void>;
  /** Follows merged_into: the surviving profile of each id. */
  canonicalProfiles(ws: string, profileIds: readonly string[]): Promise<Map<string, string>>;
  /**
   * Creates missing profiles and row-locks them (id order: evaluations of one profile never
   * interleave); returns each one's merged_into.
   */
  claimProfiles(ws: string, profileIds: readonly string[]): Promise<Map<string, string | null>>;
  /** Row locks in id order: evaluations of one profile never interleave. */
  lockProfiles(ws: string, profileIds: readonly string[]): Promise<void>;
  /** Applies a diff; returns the keys that changed (stale per-key versions are ignored). */
  applyTraitChanges(
    ws: string,
    profileId: string,
    version: number,
    changes: readonly TraitChange[],
  ): Promise<string[]>;
  /** Links a CRM contact to a profile; returns the profiles whose CRM facts changed. */
  linkContact(ws: string, contactId: string, profileId: string): Promise<string[]>;
  /** Inserts hits (duplicates ignored); returns the profiles that got new ones. */
  insertHits(ws: string, hits: readonly Hit[]): Promise<string[]>;
  /** Applies a CRM change (stale versions ignored); returns the profiles whose facts changed. */
  applyCrmChange(ws: string, change: CrmChange): Promise<string[]>;
  /** Folds `merged` into `survivor` (hits and contacts move; merged ids are marked). */
  mergeProfiles(ws: string, survivor: string, merged: readonly string[]): Promise<void>;
  /** Moves what belongs to the identifiers of each part to that part. */
  splitProfile(
    ws: string,
    source: string,
    parts: readonly { profileId: string; identifiers: readonly IdentifierRef[] }[],
  ): Promise<void>;
  loadFacts(
    ws: string,
    profileIds: readonly string[],
    options: { crm: boolean },
  ): Promise<Map<string, Omit<ProfileFacts, 'segments'>>>;
  /** Facts, hits of `keys` and current memberships of the profiles, read together. */
  loadEvaluationState(
    ws: string,
    profileIds: readonly string[],
    keys: readonly MatcherKey[],
    options: { crm: boolean },
  ): Promise<EvaluationState>;
  /** Current memberships (all segments) of the profiles. */
  currentMemberships(ws: string, profileIds: readonly string[]): Promise<Map<string, Set<string>>>;
  /** Records entries/exits (idempotent: only real transitions are returned) and their MembershipChanged. */
  applyTransitions(
    ws: string,
    segment: { id: string; version: number },
    mode: EvaluationMode,
    entered: readonly string[],
    exited: readonly string[],
  ): Promise<{ entered: string[]; exited: string[] }>;
  /** Sets (or clears, with null) when each profile must be re-checked for a segment. */
  setRechecks(
    ws: string,
    segmentId: string,
    due: ReadonlyMap<string, number | null>,
  ): Promise<void>;
}

export interface EvaluationState {
  readonly facts: Map<string, Omit<ProfileFacts, 'segments'>>;
  readonly hits: Map<string, Map<MatcherKey, number[]>>;
  readonly memberships: Map<string, Set<string>>;
}

export interface UnitOfWork {
  run<T>(work: (tx: SegmentationTx) => Promise<T>): Promise<T>;
}

export interface SegmentStore {
  list(ws: string): Promise<StoredSegment[]>;
  get(ws: string, id: string): Promise<StoredSegment | undefined>;
  /** Stored references of every live segment of the workspace (cycle checks). */
  references(ws: string): Promise<Map<string, Set<string>>>;
  create(segment: {
    workspaceId: string;
    id: string;
    name: string;
    description: string;
    definition: SegmentDefinition;
    refs: readonly string[];
  }): Promise<StoredSegment>;
  /** New version when the definition changed; `expectedVersion` guards concurrent edits. */
  update(
    ws: string,
    id: string,
    patch: {
      name?: string;
      description?: string;
      definition?: SegmentDefinition;
      refs?: readonly string[];
    },
    expectedVersion?: number,
  ): Promise<StoredSegment>;
  /** Soft delete; members exit. Returns false when there was no such live segment. */
  delete(ws: string, id: string): Promise<boolean>;
  /** Ids of live segments that reference `id`. */
  referencedBy(ws: string, id: string): Promise<string[]>;
  recordEvaluation(ws: string, id: string, summary: Record<string, unknown>): Promise<void>;
  version(ws: string, id: string, version: number): Promise<SegmentDefinition | undefined>;
  /** Workspaces with live segments (for scheduled work). */
  workspaces(): Promise<string[]>;
}

export interface MatcherRegistry {
  /** Registers steps; returns those that were new (and need a backfill). */
  register(ws: string, steps: ReadonlyMap<MatcherKey, EventStep>): Promise<MatcherKey[]>;
  markBackfilled(ws: string, key: MatcherKey): Promise<void>;
}

/** Batch reads over the whole workspace. */
export interface BatchReads {
  /** Every known (not merged) profile id, in pages. */
  profilePages(ws: string, pageSize: number): AsyncIterable<string[]>;
  profilesWithContacts(ws: string): Promise<Set<string>>;
  members(ws: string, segmentId: string): Promise<Set<string>>;
  /** Profiles whose inputs changed in real time after `since` (epoch ms). */
  changedSince(ws: string, since: number): Promise<Set<string>>;
  /** Databases' clock, epoch ms (batch snapshots compare against real-time writes). */
  now(): Promise<number>;
  /** For each profile with hits of `key` that may leave a `last` window: when. */
  windowExpiries(
    ws: string,
    key: MatcherKey,
    spanMs: number,
    now: number,
  ): Promise<Map<string, number>>;
}

/** ClickHouse side of batch evaluation. */
export interface BehaviorQueries {
  run(
    node: import('../domain/definition').BehavioralCondition,
    ws: string,
    now: number,
  ): Promise<BehaviorResult>;
  /** Every stored event of `step`'s kind, with its current profile, in chunks. */
  backfill(ws: string, key: MatcherKey, step: EventStep): AsyncIterable<Hit[]>;
}

export interface Clock {
  now(): number;
}
