import { absorb, emptyProfile, type ProfileState } from '../domain/profile-state';
import { lockCanonical, TouchedProfiles } from './projection-step';
import { type DefinitionSource, type ProfileStore } from './profile-store.port';

export interface MergeProfilesCommand {
  readonly workspaceId: string;
  /** Id of the ProfileMerged message (inbox key). */
  readonly messageId: string;
  readonly survivingProfileId: string;
  readonly mergedProfileIds: readonly string[];
  /** When the merge happened (provenance time of the changed computed traits). */
  readonly at: string;
}

export const MERGE_CONSUMER = 'profile-merges';

/**
 * B absorbs A: per trait path the winning write of both (event-time precedence, as if B had
 * seen A's events), computed aggregates joined, A's facts, notes, files and aliases moved to B;
 * A becomes an alias answering with B. Idempotent through the inbox, and a merge of an
 * already-merged profile changes nothing.
 */
export class MergeProfilesUseCase {
  constructor(
    private readonly store: ProfileStore,
    private readonly definitions: DefinitionSource,
  ) {}

  async execute(command: MergeProfilesCommand): Promise<{ merged: readonly string[] }> {
    const definitions = await this.definitions.definitions(command.workspaceId);
    return this.store.transaction(command.workspaceId, async (uow) => {
      if (!(await uow.claimMessage(MERGE_CONSUMER, command.messageId))) return { merged: [] };
      const survivor = (await lockCanonical(uow, [command.survivingProfileId])).get(
        command.survivingProfileId,
      );
      if (!survivor) return { merged: [] };
      const ids = command.mergedProfileIds.filter((id) => id !== survivor.id);
      const raw = await uow.lock(ids, { create: true });
      const touched = new TouchedProfiles(definitions);
      const aliases: ProfileState[] = [];
      const merged: string[] = [];
      for (const id of ids) {
        const state = raw.get(id) ?? emptyProfile(id);
        if (state.mergedInto !== undefined) continue; // merged already (redelivery or chain)
        touched.touch(survivor, command.at);
        absorb(survivor, state, definitions);
        state.mergedInto = survivor.id;
        await uow.moveOwned(id, survivor.id);
        aliases.push(state);
        merged.push(id);
      }
      await touched.commit(uow, aliases);
      return { merged };
    });
  }
}
