import { type FactIdentifier } from '../domain/profile-fact';
import { deriveProfile, emptyProfile, publishedValues } from '../domain/profile-state';
import { assignFactsToParts } from '../domain/split-facts';
import { TouchedProfiles } from './projection-step';
import { type DefinitionSource, type ProfileStore } from './profile-store.port';

export interface SplitProfileCommand {
  readonly workspaceId: string;
  readonly messageId: string;
  readonly sourceProfileId: string;
  readonly parts: readonly { profileId: string; identifiers: readonly FactIdentifier[] }[];
  readonly at: string;
}

export const SPLIT_CONSUMER = 'profile-splits';

/**
 * Restores the parts of a split profile by re-deriving each from the facts it owns (ADR 0012):
 * every fact of the source (its own and those of profiles it absorbed) goes to the part holding
 * its highest-priority identifier, then each part is folded from its facts alone. Manual edits
 * and facts no part claims stay with the source. Idempotent through the inbox.
 */
export class SplitProfileUseCase {
  constructor(
    private readonly store: ProfileStore,
    private readonly definitions: DefinitionSource,
  ) {}

  async execute(command: SplitProfileCommand): Promise<{ parts: readonly string[] }> {
    const definitions = await this.definitions.definitions(command.workspaceId);
    return this.store.transaction(command.workspaceId, async (uow) => {
      if (!(await uow.claimMessage(SPLIT_CONSUMER, command.messageId))) return { parts: [] };
      const ids = [
        ...new Set([command.sourceProfileId, ...command.parts.map((p) => p.profileId)]),
      ].sort();
      const current = await uow.lock(ids, { create: true });
      const facts = await uow.factsOf(ids);
      const assigned = assignFactsToParts(
        facts.map((f) => f.fact),
        command.parts,
        command.sourceProfileId,
      );
      const owners = new Map<string, string>();
      const touched = new TouchedProfiles(definitions);
      for (const id of ids) {
        const before = current.get(id) ?? emptyProfile(id);
        const partFacts = assigned.get(id) ?? [];
        for (const fact of partFacts) owners.set(fact.messageId, id);
        const rebuilt = deriveProfile(id, before.version, partFacts, definitions);
        // A part that was an alias (a merge being reverted) answers for itself again.
        touched.touch(rebuilt, command.at, publishedValues(before, definitions));
      }
      await uow.assignFacts(owners);
      await touched.commit(uow);
      return { parts: ids };
    });
  }
}
