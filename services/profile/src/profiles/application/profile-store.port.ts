import { type CustomTraitDefinition } from '../domain/custom-trait';
import { type ProfileFact } from '../domain/profile-fact';
import { type ProfileState, type TraitChange } from '../domain/profile-state';

/** A fact and the profile that owns it (its canonical profile when it was absorbed). */
export interface OwnedFact {
  readonly profileId: string;
  readonly fact: ProfileFact;
}

/** A `ProfileUpdated` to publish once the transaction commits (outbox). */
export interface ProfileUpdate {
  readonly profileId: string;
  readonly version: number;
  readonly changes: readonly TraitChange[];
}

/** What a projection step may read and write, in one transaction scoped to one workspace. */
export interface ProfileUnitOfWork {
  /**
   * Claims a message for a consumer (inbox): false when it was already processed, in which
   * case the caller changes nothing.
   */
  claimMessage(consumer: string, messageId: string): Promise<boolean>;
  /**
   * Loads and locks (until commit) the profiles that exist among `ids`. With `create`, missing
   * ones are reserved first so that two transactions creating the same profile serialise too
   * (they are returned only once saved: a reservation is not a profile).
   */
  lock(ids: readonly string[], options?: { create?: boolean }): Promise<Map<string, ProfileState>>;
  /** Stores the facts not stored yet (by message id); returns the message ids that were new. */
  claimFacts(facts: readonly OwnedFact[]): Promise<Set<string>>;
  /** Every fact owned by these profiles. */
  factsOf(profileIds: readonly string[]): Promise<OwnedFact[]>;
  /** Gives facts (by message id) to other profiles. */
  assignFacts(owners: ReadonlyMap<string, string>): Promise<void>;
  /** Moves what `from` owns (facts, notes, files, aliases pointing at it) to `to`. */
  moveOwned(from: string, to: string): Promise<void>;
  /** Writes the profiles and queues their updates in the outbox (published after commit). */
  save(states: readonly ProfileState[], updates?: readonly ProfileUpdate[]): Promise<void>;
}

export interface ProfileStore {
  transaction<T>(workspaceId: string, work: (uow: ProfileUnitOfWork) => Promise<T>): Promise<T>;
}

/** The custom computed-trait definitions of a workspace. */
export interface DefinitionSource {
  definitions(workspaceId: string): Promise<readonly CustomTraitDefinition[]>;
}

/** Wakes the outbox relay after a commit (no-op in memory). */
export interface UpdateNotifier {
  notify(): void;
}
