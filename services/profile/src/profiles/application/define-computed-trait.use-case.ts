import { DomainError } from '@cdp/contracts';
import {
  applyCustom,
  validateDefinition,
  type CustomTraitDefinition,
  type CustomTraitState,
} from '../domain/custom-trait';
import { BUILTIN_COMPUTED_IDS, sortFacts } from '../domain/profile-state';
import { lockCanonical, TouchedProfiles } from './projection-step';
import { type DefinitionSource, type ProfileStore } from './profile-store.port';

export interface DefinitionRepository extends DefinitionSource {
  create(workspaceId: string, definition: CustomTraitDefinition): Promise<void>;
  remove(workspaceId: string, key: string): Promise<void>;
}

/** Pages through a workspace's live profiles. */
export interface ProfileCatalog {
  liveProfileIds(workspaceId: string, after: string, limit: number): Promise<string[]>;
}

const PAGE = 500;

/**
 * Creates a custom computed trait and backfills it from the fact log, page by page, so every
 * existing profile holds the value it would have had if the trait had always existed (new
 * events keep it current from then on). Each page commits with its ProfileUpdated messages.
 */
export class DefineComputedTraitUseCase {
  constructor(
    private readonly store: ProfileStore,
    private readonly definitions: DefinitionRepository,
    private readonly catalog: ProfileCatalog,
  ) {}

  async execute(command: {
    workspaceId: string;
    definition: CustomTraitDefinition;
  }): Promise<{ definition: CustomTraitDefinition; backfilled: number }> {
    const definition = validateDefinition(command.definition, BUILTIN_COMPUTED_IDS);
    await this.definitions.create(command.workspaceId, definition);
    const all = await this.definitions.definitions(command.workspaceId);
    if (!all.some((d) => d.key === definition.key))
      throw new DomainError('unavailable', 'profile.definition_not_visible', 'retry the backfill');
    let backfilled = 0;
    for (let after = ''; ;) {
      const ids = await this.catalog.liveProfileIds(command.workspaceId, after, PAGE);
      if (ids.length === 0) break;
      after = ids[ids.length - 1] ?? after;
      backfilled += await this.backfillPage(command.workspaceId, ids, definition, all);
    }
    return { definition, backfilled };
  }

  private backfillPage(
    workspaceId: string,
    ids: readonly string[],
    definition: CustomTraitDefinition,
    all: readonly CustomTraitDefinition[],
  ): Promise<number> {
    return this.store.transaction(workspaceId, async (uow) => {
      const profiles = await lockCanonical(uow, ids);
      const facts = await uow.factsOf(ids);
      const touched = new TouchedProfiles(all);
      const states = new Map<string, CustomTraitState>();
      const owner = new Map(facts.map((f) => [f.fact.messageId, f.profileId]));
      for (const fact of sortFacts(facts.map((f) => f.fact))) {
        const profileId = owner.get(fact.messageId) ?? '';
        let state = states.get(profileId);
        if (!state) states.set(profileId, (state = {}));
        applyCustom(state, definition, fact);
      }
      for (const id of ids) {
        const profile = profiles.get(id);
        if (!profile || profile.id !== id) continue;
        touched.touch(profile, profile.builtin.lastSeen ?? new Date(0).toISOString());
        profile.custom[definition.key] = states.get(id) ?? {};
      }
      await touched.commit(uow);
      return touched.size;
    });
  }
}
