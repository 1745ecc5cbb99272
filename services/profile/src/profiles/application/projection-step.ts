import { DomainError } from '@cdp/contracts';
import { type CustomTraitDefinition } from '../domain/custom-trait';
import { type Json } from '../domain/json';
import {
  diffProfile,
  emptyProfile,
  publishedValues,
  type ProfileState,
} from '../domain/profile-state';
import { type ProfileUnitOfWork, type ProfileUpdate } from './profile-store.port';

/** Alias chains are short (identity compresses them; merges here re-point aliases). */
const MAX_ALIAS_HOPS = 8;

/**
 * Locks `ids` and follows aliases to live profiles: returns, per requested id, the canonical
 * profile (created empty when identity named a profile this projection has not seen yet).
 */
export async function lockCanonical(
  uow: ProfileUnitOfWork,
  ids: readonly string[],
): Promise<Map<string, ProfileState>> {
  const loaded = new Map<string, ProfileState>();
  let wanted = [...new Set(ids)].sort();
  for (let hop = 0; wanted.length > 0; hop++) {
    if (hop > MAX_ALIAS_HOPS)
      throw new DomainError(
        'conflict',
        'profile.alias_loop',
        `alias chain too long at ${wanted[0]}`,
      );
    const found = await uow.lock(wanted, { create: true });
    for (const id of wanted) loaded.set(id, found.get(id) ?? emptyProfile(id));
    wanted = [...found.values()]
      .map((s) => s.mergedInto)
      .filter((target): target is string => target !== undefined && !loaded.has(target))
      .sort();
  }
  const canonical = (id: string): ProfileState => {
    let state = loaded.get(id);
    for (let hop = 0; state?.mergedInto !== undefined && hop <= MAX_ALIAS_HOPS; hop++)
      state = loaded.get(state.mergedInto);
    if (!state) throw new Error(`profile ${id} was not loaded`);
    return state;
  };
  return new Map(ids.map((id) => [id, canonical(id)]));
}

/** Profiles a step changed, with what subscribers saw of them before. */
export class TouchedProfiles {
  private readonly touched = new Map<
    string,
    { state: ProfileState; before: Map<string, Json>; at: string }
  >();

  constructor(private readonly definitions: readonly CustomTraitDefinition[]) {}

  /** Call before changing `state`; `at` = the event time the change is computed at. */
  touch(state: ProfileState, at: string, before?: Map<string, Json>): void {
    const entry = this.touched.get(state.id);
    if (entry) {
      if (at > entry.at) entry.at = at;
      return;
    }
    this.touched.set(state.id, {
      state,
      before: before ?? publishedValues(state, this.definitions),
      at,
    });
  }

  replace(state: ProfileState): void {
    const entry = this.touched.get(state.id);
    if (entry) entry.state = state;
  }

  get size(): number {
    return this.touched.size;
  }

  /** Saves every touched profile and queues one ProfileUpdated (version + 1) per changed one. */
  async commit(
    uow: ProfileUnitOfWork,
    extra: readonly ProfileState[] = [],
  ): Promise<ProfileUpdate[]> {
    const updates: ProfileUpdate[] = [];
    const states: ProfileState[] = [];
    for (const { state, before, at } of this.touched.values()) {
      const changes = diffProfile(before, state, this.definitions, at);
      if (changes.length > 0) {
        state.version += 1;
        updates.push({ profileId: state.id, version: state.version, changes });
      }
      states.push(state);
    }
    await uow.save([...states, ...extra.filter((s) => !this.touched.has(s.id))], updates);
    return updates;
  }
}
