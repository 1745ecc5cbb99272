import {
  type Condition,
  type DealStageKind,
  type EventCondition,
  type JsonValue,
  type SequenceCondition,
  type TimeWindow,
} from './definition';
import { durationMs, parseInstant } from './duration';
import { matcherKey, type MatcherKey } from './event-matcher';
import { compareValue, nextFlipOfValue, readPath, type Actual } from './values';

export interface DealFact {
  readonly stageId: string | null;
  readonly stageKind: DealStageKind | null;
  readonly pipelineId: string | null;
}

/** What the CRM knows about a person, through the contacts linked to their profile. */
export interface CrmFacts {
  readonly deals: readonly DealFact[];
  readonly companies: readonly Readonly<Record<string, JsonValue>>[];
  readonly openTickets: number;
}

export const NO_CRM_FACTS: CrmFacts = { deals: [], companies: [], openTickets: 0 };

/** Everything but behavior: traits (keys as in ProfileUpdated), CRM facts, segment memberships. */
export interface ProfileFacts {
  readonly traits: Readonly<Record<string, JsonValue>>;
  readonly crm: CrmFacts;
  /** Segments the profile is currently a member of (only those the definition references). */
  readonly segments: ReadonlySet<string>;
}

/**
 * Answers behavioral conditions for one profile. Real time reads the profile's recorded hits
 * (`HitsBehavior`); batch reads the result sets of the compiled ClickHouse queries.
 */
export interface BehaviorSource {
  event(node: EventCondition): boolean;
  sequence(node: SequenceCondition): boolean;
}

/** Whether a count satisfies an event condition (`performed: false` is "exactly 0"). */
export function countSatisfies(node: EventCondition, count: number): boolean {
  if (node.performed === false) return count === 0;
  const rule = node.count ?? { operator: 'at_least', value: 1 };
  switch (rule.operator) {
    case 'at_least':
      return count >= rule.value;
    case 'at_most':
      return count <= rule.value;
    case 'exactly':
      return count === rule.value;
  }
}

/** The [from, to] epoch-ms bounds of a window at `now` (inclusive; undefined = unbounded). */
export function windowBounds(
  window: TimeWindow | undefined,
  now: number,
): { from?: number; to?: number } {
  if (!window || window.type === 'ever') return {};
  if (window.type === 'last') return { from: now - durationMs(window.duration), to: now };
  return { from: parseInstant(window.from) ?? 0, to: parseInstant(window.to) ?? 0 };
}

function inWindow(at: number, bounds: { from?: number; to?: number }): boolean {
  return (
    (bounds.from === undefined || at >= bounds.from) && (bounds.to === undefined || at <= bounds.to)
  );
}

/**
 * Whether some first-step event happened strictly before a second-step event at most `withinMs`
 * later. `first` and `then` are the in-window timestamps (any order).
 */
export function sequenceOccurs(
  first: readonly number[],
  then: readonly number[],
  withinMs: number,
): boolean {
  const starts = [...first].sort((a, b) => a - b);
  for (const end of then) {
    // The latest start strictly before `end` is the best candidate for this end.
    let best: number | undefined;
    for (const start of starts) {
      if (start >= end) break;
      best = start;
    }
    if (best !== undefined && end - best <= withinMs) return true;
  }
  return false;
}

/** Real-time behavior: the profile's hits (event timestamps, epoch ms) per matcher key. */
export class HitsBehavior implements BehaviorSource {
  constructor(
    private readonly hits: ReadonlyMap<MatcherKey, readonly number[]>,
    private readonly now: number,
  ) {}

  private inWindow(key: MatcherKey, window: TimeWindow | undefined): number[] {
    const bounds = windowBounds(window, this.now);
    return (this.hits.get(key) ?? []).filter((at) => inWindow(at, bounds));
  }

  event(node: EventCondition): boolean {
    return countSatisfies(node, this.inWindow(matcherKey(node), node.window).length);
  }

  sequence(node: SequenceCondition): boolean {
    const [first, then] = node.steps;
    return sequenceOccurs(
      this.inWindow(matcherKey(first), node.window),
      this.inWindow(matcherKey(then), node.window),
      durationMs(node.within),
    );
  }
}

function traitValue(facts: ProfileFacts, key: string, path: readonly string[] | undefined): Actual {
  const value = facts.traits[key];
  return path ? readPath(value, path) : value;
}

function companyField(company: Readonly<Record<string, JsonValue>>, field: string): Actual {
  return Object.prototype.hasOwnProperty.call(company, field)
    ? company[field]
    : readPath(company, field.split('.'));
}

function compareCount(
  operator: 'equals' | 'gt' | 'gte' | 'lt' | 'lte',
  actual: number,
  expected: number,
): boolean {
  return compareValue(operator, actual, expected, 0);
}

/** Evaluates a condition for one profile at `now` (epoch ms). Pure. */
export function evaluate(
  condition: Condition,
  facts: ProfileFacts,
  behavior: BehaviorSource,
  now: number,
): boolean {
  switch (condition.type) {
    case 'and':
      return condition.conditions.every((c) => evaluate(c, facts, behavior, now));
    case 'or':
      return condition.conditions.some((c) => evaluate(c, facts, behavior, now));
    case 'not':
      return !evaluate(condition.condition, facts, behavior, now);
    case 'trait':
      return compareValue(
        condition.operator,
        traitValue(facts, condition.key, condition.path),
        condition.value,
        now,
      );
    case 'computed':
      return compareValue(
        condition.operator,
        traitValue(facts, `computed.${condition.trait}`, condition.path),
        condition.value,
        now,
      );
    case 'event':
      return behavior.event(condition);
    case 'sequence':
      return behavior.sequence(condition);
    case 'deal':
      return facts.crm.deals.some(
        (deal) =>
          (condition.stageId === undefined || deal.stageId === condition.stageId) &&
          (condition.stageKind === undefined || deal.stageKind === condition.stageKind) &&
          (condition.pipelineId === undefined || deal.pipelineId === condition.pipelineId),
      );
    case 'company':
      // With no company, only negative operators (not_exists, not_equals) can hold: "no company
      // in industry X" is true for a person without a company.
      if (facts.crm.companies.length === 0)
        return compareValue(condition.operator, undefined, condition.value, now);
      return facts.crm.companies.some((company) =>
        compareValue(
          condition.operator,
          companyField(company, condition.field),
          condition.value,
          now,
        ),
      );
    case 'open_tickets':
      return compareCount(condition.operator, facts.crm.openTickets, condition.value);
    case 'segment':
      return facts.segments.has(condition.segmentId);
  }
}

/**
 * The earliest instant after `now` at which the result may change with no new input (a hit
 * leaving a "last T" window, a future-dated hit entering it, a relative date trait crossing its
 * bound), or undefined when only new input can change it. Conservative: a re-check at that time
 * may find nothing changed and schedules the next one.
 */
export function nextChangeAt(
  condition: Condition,
  facts: ProfileFacts,
  hits: ReadonlyMap<MatcherKey, readonly number[]>,
  now: number,
): number | undefined {
  const candidates: number[] = [];
  const fromHits = (keys: readonly MatcherKey[], window: TimeWindow | undefined): void => {
    if (!window || window.type !== 'last') return;
    const span = durationMs(window.duration);
    for (const key of keys)
      for (const at of hits.get(key) ?? []) {
        if (at > now) candidates.push(at);
        else if (at >= now - span) candidates.push(at + span + 1);
      }
  };
  const visit = (node: Condition): void => {
    switch (node.type) {
      case 'and':
      case 'or':
        node.conditions.forEach(visit);
        return;
      case 'not':
        visit(node.condition);
        return;
      case 'trait':
      case 'computed': {
        const key = node.type === 'trait' ? node.key : `computed.${node.trait}`;
        const flip = nextFlipOfValue(
          node.operator,
          traitValue(facts, key, node.path),
          node.value,
          now,
        );
        if (flip !== undefined) candidates.push(flip);
        return;
      }
      case 'company':
        for (const company of facts.crm.companies) {
          const flip = nextFlipOfValue(
            node.operator,
            companyField(company, node.field),
            node.value,
            now,
          );
          if (flip !== undefined) candidates.push(flip);
        }
        return;
      case 'event':
        fromHits([matcherKey(node)], node.window);
        return;
      case 'sequence':
        fromHits(node.steps.map(matcherKey), node.window);
        return;
      case 'deal':
      case 'open_tickets':
      case 'segment':
        return;
    }
  };
  visit(condition);
  const future = candidates.filter((at) => at > now);
  return future.length === 0 ? undefined : Math.min(...future);
}

/** The profiles a behavioral node's batch query returned, and how the node relates to them. */
export interface BehaviorResult {
  readonly profiles: ReadonlySet<string>;
  /** true: the node holds for profiles NOT in `profiles` (see the ClickHouse compiler). */
  readonly negate: boolean;
}

/** Batch behavior: per-node result sets computed for the whole workspace at once. */
export class PrecomputedBehavior implements BehaviorSource {
  constructor(
    private readonly results: ReadonlyMap<Condition, BehaviorResult>,
    private readonly profileId: string,
  ) {}

  private holds(node: Condition): boolean {
    const result = this.results.get(node);
    if (!result) throw new Error('behavioral node without a batch result');
    return result.profiles.has(this.profileId) !== result.negate;
  }

  event(node: EventCondition): boolean {
    return this.holds(node);
  }

  sequence(node: SequenceCondition): boolean {
    return this.holds(node);
  }
}
