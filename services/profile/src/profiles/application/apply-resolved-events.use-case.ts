import { applyFact } from '../domain/profile-state';
import { factFromEvent, type ProfileFact, type ResolvedEventInput } from '../domain/profile-fact';
import { lockCanonical, TouchedProfiles } from './projection-step';
import {
  type DefinitionSource,
  type OwnedFact,
  type ProfileStore,
  type ProfileUpdate,
} from './profile-store.port';

export interface ApplyResolvedEventsCommand {
  readonly workspaceId: string;
  /** Events in stream order, each stamped with the profile identity resolved it to. */
  readonly events: readonly (ResolvedEventInput & { readonly profileId?: string | undefined })[];
}

export interface ApplyResolvedEventsResult {
  /** Events applied for the first time (the others were already absorbed). */
  readonly applied: number;
  readonly duplicates: number;
  readonly updates: readonly ProfileUpdate[];
}

/**
 * Folds a batch of resolved events into the profiles in ONE transaction: profiles are locked
 * once (canonical ids, aliases followed), each event's fact is claimed by message id (a
 * redelivered or replayed event finds its claim and changes nothing), facts are applied in
 * memory, and each changed profile is written once with one ProfileUpdated. Order-safe: trait
 * registers and computed aggregates do not depend on the order facts arrive in.
 */
export class ApplyResolvedEventsUseCase {
  constructor(
    private readonly store: ProfileStore,
    private readonly definitions: DefinitionSource,
  ) {}

  async execute(command: ApplyResolvedEventsCommand): Promise<ApplyResolvedEventsResult> {
    const stamped: { profileId: string; fact: ProfileFact }[] = [];
    for (const event of command.events)
      if (event.profileId) stamped.push({ profileId: event.profileId, fact: factFromEvent(event) });
    if (stamped.length === 0) return { applied: 0, duplicates: 0, updates: [] };
    const definitions = await this.definitions.definitions(command.workspaceId);
    return this.store.transaction(command.workspaceId, async (uow) => {
      const profiles = await lockCanonical(
        uow,
        stamped.map((s) => s.profileId),
      );
      const owned: OwnedFact[] = stamped.map(({ profileId, fact }) => ({
        profileId: profiles.get(profileId)?.id ?? profileId,
        fact,
      }));
      const fresh = await uow.claimFacts(owned);
      const touched = new TouchedProfiles(definitions);
      let applied = 0;
      for (const { profileId, fact } of stamped) {
        if (!fresh.delete(fact.messageId)) continue;
        const state = profiles.get(profileId);
        if (!state) continue;
        touched.touch(state, fact.at);
        applyFact(state, fact, definitions);
        applied++;
      }
      const updates = await touched.commit(uow);
      return { applied, duplicates: stamped.length - applied, updates };
    });
  }
}
