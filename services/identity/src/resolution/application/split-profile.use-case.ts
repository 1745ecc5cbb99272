import { DomainError } from '@cdp/contracts';
import { type Identifier } from '../domain/identifier';
import { type Actor, type ProfileSplit } from '../domain/identity-events';
import { splitProfile, type ProfileGraph, type SplitResult } from '../domain/split-profile';
import { GraphChangedError } from './graph-changed.error';

/** A profile's graph read under the locks of all its identifiers, with its version. */
export interface LockedProfile {
  readonly graph: ProfileGraph;
  readonly version: number;
}

export interface ProfileSplitTransaction {
  /** The live profile (undefined once merged away or unknown). */
  load(): Promise<LockedProfile | undefined>;
  /**
   * Moves every component but the first to its new profile (identifiers, links), bumps the
   * versions, records the split and queues ProfileSplit + identity_map changes in the outbox.
   */
  applySplit(result: SplitResult, event: ProfileSplit, expectedVersion: number): Promise<void>;
}

/** Locks every identifier of a profile (sorted advisory locks, like resolution) for a split. */
export interface ProfileSplitRepository {
  /** The live profile an id resolves to (a merged id → its survivor). */
  canonicalProfileId(workspaceId: string, profileId: string): Promise<string | undefined>;
  withProfileLocked<T>(
    workspaceId: string,
    profileId: string,
    work: (tx: ProfileSplitTransaction) => Promise<T>,
  ): Promise<T>;
}

export interface SplitProfileCommand {
  readonly workspaceId: string;
  readonly profileId: string;
  readonly detachIdentifiers?: readonly Identifier[];
  readonly detachLinks?: readonly string[];
  readonly reason: string;
  readonly actor: Actor;
}

export interface SplitProfileResult {
  readonly changed: boolean;
  readonly split?: ProfileSplit;
  readonly result: SplitResult;
}

const MAX_ATTEMPTS = 5;

/**
 * Splits a profile by re-resolving it from its links without the detached identifiers/links
 * (domain `splitProfile`): the oldest component keeps the id, the others get new profiles.
 */
export class SplitProfileUseCase {
  constructor(
    private readonly repository: ProfileSplitRepository,
    private readonly ids: { profileId(): string; splitId(): string },
  ) {}

  async execute(command: SplitProfileCommand): Promise<SplitProfileResult> {
    const canonical = await this.repository.canonicalProfileId(
      command.workspaceId,
      command.profileId,
    );
    if (canonical === undefined)
      throw new DomainError(
        'not_found',
        'identity.profile_not_found',
        `profile ${command.profileId} not found`,
        { profileId: command.profileId },
      );
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.repository.withProfileLocked(
          command.workspaceId,
          canonical,
          async (tx) => {
            const locked = await tx.load();
            if (!locked) throw new GraphChangedError(canonical);
            const result = splitProfile(
              locked.graph,
              {
                ...(command.detachIdentifiers
                  ? { detachIdentifiers: command.detachIdentifiers }
                  : {}),
                ...(command.detachLinks ? { detachLinks: command.detachLinks } : {}),
              },
              () => this.ids.profileId(),
            );
            if (!result.changed) return { changed: false, result };
            const split: ProfileSplit = {
              kind: 'ProfileSplit',
              splitId: this.ids.splitId(),
              workspaceId: command.workspaceId,
              sourceProfileId: canonical,
              parts: result.components.map((c) => ({
                profileId: c.profileId,
                identifiers: c.identifiers,
              })),
              reason: command.reason,
              actor: command.actor,
            };
            await tx.applySplit(result, split, locked.version);
            return { changed: true, split, result };
          },
        );
      } catch (error) {
        if (!(error instanceof GraphChangedError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
