/**
 * The segment definition language: a JSON AST. Parsing and validation live in
 * `parse-definition.ts`; evaluation in `evaluate.ts`; behavioral compilation to ClickHouse in
 * the infrastructure layer. Every node is plain JSON so definitions are stored and versioned as-is.
 */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Operators comparing one value (a trait, an event property, a company field). */
export const VALUE_OPERATORS = [
  'equals',
  'not_equals',
  'in',
  'contains',
  'starts_with',
  'gt',
  'gte',
  'lt',
  'lte',
  'between',
  'exists',
  'not_exists',
] as const;
export type ValueOperator = (typeof VALUE_OPERATORS)[number];

/** Date operators (traits and company fields only: their values are ISO dates or epoch ms). */
export const DATE_OPERATORS = ['before', 'after', 'within_last', 'more_than_ago'] as const;
export type DateOperator = (typeof DATE_OPERATORS)[number];

export type TraitOperator = ValueOperator | DateOperator;

/** When a behavioral condition looks: always, the last T before now, or fixed dates. */
export type TimeWindow =
  | { readonly type: 'ever' }
  | { readonly type: 'last'; readonly duration: string }
  | { readonly type: 'between'; readonly from: string; readonly to: string };

export interface PropertyFilter {
  /** Dotted path under the event's `properties` (`category`, `product.brand`). */
  readonly property: string;
  readonly operator: ValueOperator;
  readonly value?: JsonValue;
}

/** A kind of event: a track call named `event` whose properties pass every filter. */
export interface EventStep {
  readonly event: string;
  readonly where?: readonly PropertyFilter[];
}

export type CountOperator = 'at_least' | 'at_most' | 'exactly';

export interface TraitCondition {
  readonly type: 'trait';
  /** Trait key as in ProfileUpdated (`plan`, `computed.total_revenue`). */
  readonly key: string;
  /** Path inside an object/array value (`["Order Completed"]` in `computed.event_counts`). */
  readonly path?: readonly string[];
  readonly operator: TraitOperator;
  readonly value?: JsonValue;
}

/** Sugar for `{ type: 'trait', key: 'computed.<trait>' }`. */
export interface ComputedTraitCondition {
  readonly type: 'computed';
  readonly trait: string;
  readonly path?: readonly string[];
  readonly operator: TraitOperator;
  readonly value?: JsonValue;
}

export interface EventCondition extends EventStep {
  readonly type: 'event';
  /** false: did not perform (same as `count: { operator: 'exactly', value: 0 }`). */
  readonly performed?: boolean;
  readonly count?: { readonly operator: CountOperator; readonly value: number };
  readonly window?: TimeWindow;
}

/** Step 1 then step 2 (strictly later), at most `within` apart, both inside `window`. */
export interface SequenceCondition {
  readonly type: 'sequence';
  readonly steps: readonly [EventStep, EventStep];
  readonly within: string;
  readonly window?: TimeWindow;
}

export type DealStageKind = 'open' | 'won' | 'lost';

/** Has at least one (non-archived) deal, linked to one of the person's contacts, matching all given. */
export interface DealCondition {
  readonly type: 'deal';
  readonly stageId?: string;
  readonly stageKind?: DealStageKind;
  readonly pipelineId?: string;
}

/** A company of one of the person's contacts has a field matching. */
export interface CompanyCondition {
  readonly type: 'company';
  /** Field name (`industry`, `employees`) or `customFields.<name>`. */
  readonly field: string;
  readonly operator: TraitOperator;
  readonly value?: JsonValue;
}

/** Number of open tickets (status open, pending or on_hold) of the person's contacts. */
export interface OpenTicketsCondition {
  readonly type: 'open_tickets';
  readonly operator: 'equals' | 'gt' | 'gte' | 'lt' | 'lte';
  readonly value: number;
}

/** Currently a member of another segment of the workspace. */
export interface SegmentCondition {
  readonly type: 'segment';
  readonly segmentId: string;
}

export interface AndCondition {
  readonly type: 'and';
  readonly conditions: readonly Condition[];
}
export interface OrCondition {
  readonly type: 'or';
  readonly conditions: readonly Condition[];
}
export interface NotCondition {
  readonly type: 'not';
  readonly condition: Condition;
}

export type BehavioralCondition = EventCondition | SequenceCondition;

export type Condition =
  | AndCondition
  | OrCondition
  | NotCondition
  | TraitCondition
  | ComputedTraitCondition
  | EventCondition
  | SequenceCondition
  | DealCondition
  | CompanyCondition
  | OpenTicketsCondition
  | SegmentCondition;

/** The stored definition: one root condition. */
export interface SegmentDefinition {
  readonly condition: Condition;
}

/** Open ticket statuses (docs/integration-contracts.md: open, pending, on_hold, solved, closed). */
export const OPEN_TICKET_STATUSES: ReadonlySet<string> = new Set(['open', 'pending', 'on_hold']);
