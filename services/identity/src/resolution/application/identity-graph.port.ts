import { type IdentifierKey } from '../domain/identifier';
import { type ProfileMerged } from '../domain/identity-events';
import { type BatchChanges, type BatchSnapshot } from '../domain/resolve-batch';
import { type GraphSnapshot, type ResolutionPlan } from '../domain/resolve-observation';
import { type ProfileGraph } from '../domain/split-profile';

/**
 * The identity graph (Postgres schema `identity` in production). Resolution runs inside
 * `withLocks`: the identifier keys are locked (advisory locks, taken in sorted order so two
 * resolutions never deadlock) for the duration of `work`, which runs in one transaction.
 *
 * Locks cover the observation's identifiers; a merge also rewrites the merged profiles' other
 * identifiers, which another resolution may hold. Profile versions close that gap: `apply`
 * refuses a plan whose snapshot profiles changed since `loadSnapshot`.
 */
export interface IdentityGraphRepository {
  withLocks<T>(
    workspaceId: string,
    identifierKeys: readonly IdentifierKey[],
    work: (graph: IdentityGraphTransaction) => Promise<T>,
  ): Promise<T>;
}

export interface IdentityGraphTransaction {
  /** Every profile holding any of `identifierKeys`, each with all its identifiers. */
  loadSnapshot(identifierKeys: readonly IdentifierKey[]): Promise<GraphSnapshot>;
  /**
   * Applies a plan atomically: creates the profile, moves merged profiles' identifiers and
   * links to the survivor (the merged ids then redirect to it), attaches new identifiers with
   * the plan's evidence as first-seen (an existing identifier keeps the older of the two), adds
   * the link (one per identifier set, oldest evidence kept), records conflicts (once per
   * message and dropped identifier) and the merge in the ledger. Bumps touched versions.
   * @throws GraphChangedError when a profile of `plan.expectedVersions` moved.
   */
  apply(plan: ResolutionPlan, merged: ProfileMerged | undefined): Promise<void>;
}

/**
 * The graph for whole micro-batches: `withBatchLocks` locks the batch's identifier keys like
 * `withLocks`; `loadLockedSnapshot` then also locks the profiles holding them (row locks), so
 * the snapshot cannot change until the transaction ends and `applyBatch` needs no version check.
 */
export interface BatchIdentityGraphRepository {
  withBatchLocks<T>(
    workspaceId: string,
    identifierKeys: readonly IdentifierKey[],
    work: (graph: BatchGraphTransaction) => Promise<T>,
  ): Promise<T>;
}

export interface BatchGraphTransaction {
  /** Every profile holding any of `identifierKeys`, locked, with all identifiers + first seen. */
  loadLockedSnapshot(identifierKeys: readonly IdentifierKey[]): Promise<BatchSnapshot>;
  /**
   * Writes the batch's net changes (profiles, merges with path compression, identifiers,
   * links with the oldest evidence, conflicts, ledger, outbox) and bumps the versions of the
   * profiles that changed.
   */
  applyBatch(changes: BatchChanges): Promise<void>;
}

/** Read side the split needs (kept apart: resolution never loads links). */
export interface ProfileGraphReader {
  profileGraph(workspaceId: string, profileId: string): Promise<ProfileGraph | undefined>;
}
