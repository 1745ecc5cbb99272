import { DomainError } from '@cdp/contracts';
import { type JsonObject } from '../domain/json';
import { manualFact } from '../domain/profile-fact';
import { applyFact, type ProfileState } from '../domain/profile-state';
import { lockCanonical, TouchedProfiles } from './projection-step';
import { type DefinitionSource, type ProfileStore } from './profile-store.port';

export interface EditTraitsCommand {
  readonly workspaceId: string;
  readonly profileId: string;
  /** Unique per edit: the edit's fact id in the manual-edit log. */
  readonly editId: string;
  readonly keyId: string;
  readonly at: Date;
  readonly set?: JsonObject | undefined;
  readonly setOnce?: JsonObject | undefined;
  readonly unset?: readonly string[] | undefined;
}

/**
 * A person edits traits through the API: provenance `manual`, observed now, same precedence
 * rules as events (a later event overrides an edit; an older late event does not). The edit is
 * kept as a fact, so splits and rebuilds replay it.
 */
export class EditTraitsUseCase {
  constructor(
    private readonly store: ProfileStore,
    private readonly definitions: DefinitionSource,
  ) {}

  async execute(command: EditTraitsCommand): Promise<ProfileState> {
    const definitions = await this.definitions.definitions(command.workspaceId);
    const fact = manualFact({
      messageId: command.editId,
      at: command.at,
      keyId: command.keyId,
      set: command.set,
      setOnce: command.setOnce,
      unset: command.unset,
    });
    return this.store.transaction(command.workspaceId, async (uow) => {
      if (!(await uow.lock([command.profileId])).has(command.profileId))
        throw new DomainError(
          'not_found',
          'profile.not_found',
          `profile ${command.profileId} not found`,
        );
      const state = (await lockCanonical(uow, [command.profileId])).get(command.profileId);
      if (!state) throw new Error('unreachable: a locked profile has a canonical profile');
      const fresh = await uow.claimFacts([{ profileId: state.id, fact }]);
      if (fresh.size === 0) return state;
      const touched = new TouchedProfiles(definitions);
      touched.touch(state, fact.at);
      applyFact(state, fact, definitions);
      await touched.commit(uow);
      return state;
    });
  }
}
