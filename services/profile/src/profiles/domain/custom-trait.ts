import { DomainError } from '@cdp/contracts';
import { compareStrings, valueAt, type Json } from './json';
import { type ProfileFact } from './profile-fact';

export const AGGREGATIONS = [
  'count',
  'sum',
  'min',
  'max',
  'first',
  'last',
  'unique_count',
] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

/**
 * A custom computed trait: `aggregation` of `property` over the events named `event` (a track
 * name, or a call type such as `page`), over all time or the last `windowDays` days.
 */
export interface CustomTraitDefinition {
  readonly key: string;
  readonly aggregation: Aggregation;
  readonly event: string;
  /** Dotted path in the event properties; not needed by `count`. */
  readonly property?: string;
  readonly windowDays?: number;
}

/** A partial aggregate: enough to answer any aggregation, and to be joined with another. */
export interface Aggregate {
  count: number;
  /** Sum in millionths, as a decimal string: float sums depend on the order of additions. */
  sumMicros?: string;
  min?: number;
  max?: number;
  first?: { at: string; id: string; value: Json };
  last?: { at: string; id: string; value: Json };
  uniques?: string[];
}

/**
 * State of one custom trait on one profile. All-time traits keep one aggregate; windowed ones
 * keep one per UTC day of event time and are evaluated when read (ADR 0011): a window slides
 * with the clock, which no event-driven update can follow.
 */
export interface CustomTraitState {
  total?: Aggregate;
  days?: Record<string, Aggregate>;
}

const KEY = /^[a-z][a-z0-9_]{0,62}$/;
/** Distinct values remembered per aggregate for `unique_count`. */
export const MAX_UNIQUES = 1000;
const MAX_WINDOW_DAYS = 366;

/** Validates a definition from the API; throws `profile.invalid_definition`. */
export function validateDefinition(
  input: CustomTraitDefinition,
  reserved: readonly string[],
): CustomTraitDefinition {
  const fail = (field: string, message: string): never => {
    throw new DomainError('invalid', 'profile.invalid_definition', `${field}: ${message}`, {
      field,
    });
  };
  if (!KEY.test(input.key)) fail('key', 'lower_snake_case, at most 63 characters');
  if (reserved.includes(input.key)) fail('key', `"${input.key}" is a built-in computed trait`);
  if (!(AGGREGATIONS as readonly string[]).includes(input.aggregation))
    fail('aggregation', `one of ${AGGREGATIONS.join(', ')}`);
  if (input.event.trim().length === 0 || input.event.length > 200)
    fail('event', 'an event name of 1 to 200 characters');
  if (input.aggregation !== 'count' && !input.property)
    fail('property', `required by ${input.aggregation}`);
  if (
    input.windowDays !== undefined &&
    (!Number.isInteger(input.windowDays) ||
      input.windowDays < 1 ||
      input.windowDays > MAX_WINDOW_DAYS)
  )
    fail('windowDays', `an integer from 1 to ${MAX_WINDOW_DAYS}`);
  return input;
}

function micros(value: number): bigint {
  return BigInt(Math.round(value * 1e6));
}

function insertUnique(set: string[], value: string): void {
  if (set.includes(value)) return;
  set.push(value);
  set.sort(compareStrings);
  if (set.length > MAX_UNIQUES) set.length = MAX_UNIQUES;
}

function laterThan(a: { at: string; id: string }, b: { at: string; id: string }): boolean {
  const time = compareStrings(a.at, b.at);
  return time !== 0 ? time > 0 : compareStrings(a.id, b.id) > 0;
}

function addValue(agg: Aggregate, def: CustomTraitDefinition, fact: ProfileFact): void {
  const value = def.property === undefined ? undefined : valueAt(fact.properties, def.property);
  if (def.aggregation === 'count') {
    agg.count += 1;
    return;
  }
  if (value === undefined || value === null) return;
  agg.count += 1;
  const point = { at: fact.at, id: fact.messageId, value };
  if (!agg.first || laterThan(agg.first, point)) agg.first = point;
  if (!agg.last || laterThan(point, agg.last)) agg.last = point;
  if (def.aggregation === 'unique_count') insertUnique((agg.uniques ??= []), JSON.stringify(value));
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n)) return;
  agg.sumMicros = (BigInt(agg.sumMicros ?? '0') + micros(n)).toString();
  agg.min = agg.min === undefined ? n : Math.min(agg.min, n);
  agg.max = agg.max === undefined ? n : Math.max(agg.max, n);
}

function joinAggregate(into: Aggregate, from: Aggregate): void {
  into.count += from.count;
  if (from.sumMicros !== undefined)
    into.sumMicros = (BigInt(into.sumMicros ?? '0') + BigInt(from.sumMicros)).toString();
  if (from.min !== undefined)
    into.min = into.min === undefined ? from.min : Math.min(into.min, from.min);
  if (from.max !== undefined)
    into.max = into.max === undefined ? from.max : Math.max(into.max, from.max);
  if (from.first && (!into.first || laterThan(into.first, from.first))) into.first = from.first;
  if (from.last && (!into.last || laterThan(from.last, into.last))) into.last = from.last;
  for (const u of from.uniques ?? []) insertUnique((into.uniques ??= []), u);
}

function emptyAggregate(): Aggregate {
  return { count: 0 };
}

function dayOf(at: string): string {
  return at.slice(0, 10);
}

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + days * 86_400_000)
    .toISOString()
    .slice(0, 10);
}

/**
 * Drops day buckets that no window position can reach again: older than the window before the
 * newest bucket. Deterministic (depends on the buckets only), so every order prunes alike.
 */
function prune(days: Record<string, Aggregate>, windowDays: number): void {
  const newest = Object.keys(days).sort(compareStrings).at(-1);
  if (newest === undefined) return;
  const oldest = shiftDay(newest, -(windowDays - 1));
  for (const day of Object.keys(days)) if (compareStrings(day, oldest) < 0) delete days[day];
}

/** Adds a fact to a custom trait's state (in place) when the fact matches the definition. */
export function applyCustom(
  state: CustomTraitState,
  def: CustomTraitDefinition,
  fact: ProfileFact,
): void {
  if (fact.kind !== 'event' || fact.eventKey !== def.event) return;
  if (def.windowDays === undefined) {
    addValue((state.total ??= emptyAggregate()), def, fact);
    return;
  }
  const days = (state.days ??= {});
  const day = dayOf(fact.at);
  addValue((days[day] ??= emptyAggregate()), def, fact);
  prune(days, def.windowDays);
}

export function joinCustom(
  into: CustomTraitState,
  from: CustomTraitState,
  def: CustomTraitDefinition,
): void {
  if (from.total) joinAggregate((into.total ??= emptyAggregate()), from.total);
  if (from.days) {
    const days = (into.days ??= {});
    for (const [day, agg] of Object.entries(from.days))
      joinAggregate((days[day] ??= emptyAggregate()), agg);
    if (def.windowDays !== undefined) prune(days, def.windowDays);
  }
}

function answer(agg: Aggregate | undefined, def: CustomTraitDefinition): Json {
  if (def.aggregation === 'count') return agg?.count ?? 0;
  if (!agg) return def.aggregation === 'unique_count' || def.aggregation === 'sum' ? 0 : null;
  switch (def.aggregation) {
    case 'sum':
      return Number(BigInt(agg.sumMicros ?? '0')) / 1e6;
    case 'min':
      return agg.min ?? null;
    case 'max':
      return agg.max ?? null;
    case 'first':
      return agg.first?.value ?? null;
    case 'last':
      return agg.last?.value ?? null;
    case 'unique_count':
      return agg.uniques?.length ?? 0;
  }
}

/** The value of a custom trait; windowed ones over the days `[now - windowDays + 1, now]`. */
export function customValue(
  state: CustomTraitState | undefined,
  def: CustomTraitDefinition,
  now: Date,
): Json {
  if (def.windowDays === undefined) return answer(state?.total, def);
  const today = now.toISOString().slice(0, 10);
  const from = shiftDay(today, -(def.windowDays - 1));
  const window = emptyAggregate();
  let any = false;
  for (const [day, agg] of Object.entries(state?.days ?? {})) {
    if (compareStrings(day, from) < 0 || compareStrings(day, today) > 0) continue;
    joinAggregate(window, agg);
    any = true;
  }
  return answer(any ? window : undefined, def);
}
