import {
  applyBuiltin,
  builtinValues,
  clockValues,
  emptyBuiltin,
  joinBuiltin,
  type BuiltinState,
} from './builtin-computed';
import {
  applyCustom,
  customValue,
  joinCustom,
  type CustomTraitDefinition,
  type CustomTraitState,
} from './custom-trait';
import { compareStrings, jsonEqual, type Json, type JsonObject } from './json';
import { type ProfileFact } from './profile-fact';
import {
  applyWrite,
  joinRegisters,
  materialize,
  provenanceOf,
  type Provenance,
  type TraitRegister,
} from './trait-register';

/** Everything the projection holds for one profile; a pure function of the facts it absorbed. */
export interface ProfileState {
  readonly id: string;
  /** +1 per ProfileUpdated published for it. */
  version: number;
  /** Set when identity merged this profile into another: it answers as an alias of it. */
  mergedInto?: string;
  registers: Record<string, TraitRegister>;
  builtin: BuiltinState;
  custom: Record<string, CustomTraitState>;
}

export function emptyProfile(id: string): ProfileState {
  return { id, version: 0, registers: {}, builtin: emptyBuiltin(), custom: {} };
}

export function cloneProfile(state: ProfileState): ProfileState {
  return structuredClone(state);
}

/** Adds a fact to the profile (in place). */
export function applyFact(
  state: ProfileState,
  fact: ProfileFact,
  definitions: readonly CustomTraitDefinition[],
): void {
  for (const write of fact.writes) applyWrite(state.registers, write);
  applyBuiltin(state.builtin, fact);
  for (const def of definitions) {
    if (fact.kind !== 'event' || fact.eventKey !== def.event) continue;
    applyCustom((state.custom[def.key] ??= {}), def, fact);
  }
}

/** `survivor` absorbs `merged` (in place): the same result as if it had seen its facts. */
export function absorb(
  survivor: ProfileState,
  merged: ProfileState,
  definitions: readonly CustomTraitDefinition[],
): void {
  joinRegisters(survivor.registers, merged.registers);
  joinBuiltin(survivor.builtin, merged.builtin);
  for (const def of definitions) {
    const from = merged.custom[def.key];
    if (from) joinCustom((survivor.custom[def.key] ??= {}), from, def);
  }
}

/** Facts in a canonical order (event time, then id), for re-derivations. */
export function sortFacts(facts: readonly ProfileFact[]): ProfileFact[] {
  return [...facts].sort(
    (a, b) => compareStrings(a.at, b.at) || compareStrings(a.messageId, b.messageId),
  );
}

/** A profile rebuilt from its facts only (what a split does for each part). */
export function deriveProfile(
  id: string,
  version: number,
  facts: readonly ProfileFact[],
  definitions: readonly CustomTraitDefinition[],
): ProfileState {
  const state = emptyProfile(id);
  state.version = version;
  for (const fact of sortFacts(facts)) applyFact(state, fact, definitions);
  return state;
}

/** Built-in ids of computed traits (custom keys may not take them). */
export const BUILTIN_COMPUTED_IDS = [
  'first_seen',
  'last_seen',
  'event_count',
  'event_counts',
  'sessions',
  'page_views',
  'orders_count',
  'total_revenue',
  'avg_order_value',
  'last_order_at',
  'channels',
  'devices',
  'days_since_last_order',
  'rfm',
] as const;

/** Computed values that change with events only: what updates carry and rebuilds compare. */
export function eventDrivenComputed(
  state: ProfileState,
  definitions: readonly CustomTraitDefinition[],
): Record<string, Json> {
  const values = builtinValues(state.builtin);
  const epoch = new Date(0);
  for (const def of definitions)
    if (def.windowDays === undefined)
      values[def.key] = customValue(state.custom[def.key], def, epoch);
  return values;
}

/** Every computed value as of `now` (windowed and clock-driven ones included). */
export function computedAt(
  state: ProfileState,
  definitions: readonly CustomTraitDefinition[],
  now: Date,
): Record<string, Json> {
  const values = { ...builtinValues(state.builtin), ...clockValues(state.builtin, now) };
  for (const def of definitions) values[def.key] = customValue(state.custom[def.key], def, now);
  return values;
}

export interface TraitChange {
  readonly key: string;
  readonly operation: 'set' | 'unset';
  readonly value?: Json;
  readonly previousValue?: Json;
  readonly provenance: Provenance;
}

/** What subscribers see of a profile: top-level traits and `computed.<id>` values. */
export function publishedValues(
  state: ProfileState,
  definitions: readonly CustomTraitDefinition[],
): Map<string, Json> {
  const values = new Map<string, Json>();
  for (const [key, value] of Object.entries(materialize(state.registers))) values.set(key, value);
  for (const [id, value] of Object.entries(eventDrivenComputed(state, definitions)))
    values.set(`computed.${id}`, value);
  return values;
}

/**
 * The diff between two snapshots of `publishedValues`, one change per key that differs, with
 * the provenance of the new value (a trait's latest write, or the computed trait itself).
 */
export function diffProfile(
  before: Map<string, Json>,
  after: ProfileState,
  definitions: readonly CustomTraitDefinition[],
  computedAt: string,
): TraitChange[] {
  const now = publishedValues(after, definitions);
  const changes: TraitChange[] = [];
  const keys = [...new Set([...before.keys(), ...now.keys()])].sort(compareStrings);
  for (const key of keys) {
    const previous = before.get(key);
    const value = now.get(key);
    if (jsonEqual(previous, value)) continue;
    const provenance: Provenance = key.startsWith('computed.')
      ? { sourceType: 'computed', sourceId: key.slice('computed.'.length), observedAt: computedAt }
      : (provenanceOf(after.registers, key) ?? {
          sourceType: 'computed',
          sourceId: 'profile',
          observedAt: computedAt,
        });
    changes.push({
      key,
      operation: value === undefined ? 'unset' : 'set',
      ...(value !== undefined ? { value } : {}),
      ...(previous !== undefined ? { previousValue: previous } : {}),
      provenance,
    });
  }
  return changes;
}

/** The profile as the API shows it. */
export interface ProfileView {
  readonly id: string;
  readonly version: number;
  readonly traits: JsonObject;
  /** Per top-level trait: where its current value comes from. */
  readonly provenance: Record<string, Provenance>;
  readonly computed: Record<string, Json>;
}

export function viewProfile(
  state: ProfileState,
  definitions: readonly CustomTraitDefinition[],
  now: Date,
): ProfileView {
  const traits = materialize(state.registers);
  const provenance: Record<string, Provenance> = {};
  for (const key of Object.keys(traits)) {
    const p = provenanceOf(state.registers, key);
    if (p) provenance[key] = p;
  }
  return {
    id: state.id,
    version: state.version,
    traits,
    provenance,
    computed: computedAt(state, definitions, now),
  };
}
