import { compareStrings, type Json, type JsonObject } from './json';
import { type ProfileFact } from './profile-fact';

/**
 * Incremental state of the built-in computed traits. Every field is a commutative, associative
 * aggregate (min, max, sum of integers, set union), so the state of a set of facts does not
 * depend on their order, a merge is a join of two states, and a rebuild reaches the same values.
 * Money is kept in integer cents: float sums would differ with the order of additions.
 */
export interface BuiltinState {
  firstSeen?: string;
  lastSeen?: string;
  eventCount: number;
  eventCounts: Record<string, number>;
  sessionIds: string[];
  pageViews: number;
  ordersCount: number;
  revenueCents: number;
  refundedCents: number;
  lastOrderAt?: string;
  channels: string[];
  devices: string[];
}

/** Order events of the Segment e-commerce spec. */
export const ORDER_COMPLETED = 'Order Completed';
export const ORDER_REFUNDED = 'Order Refunded';

/** Sessions are remembered by id up to this many per profile (then counted approximately). */
export const MAX_SESSION_IDS = 5000;
const MAX_SET = 100;

export function emptyBuiltin(): BuiltinState {
  return {
    eventCount: 0,
    eventCounts: {},
    sessionIds: [],
    pageViews: 0,
    ordersCount: 0,
    revenueCents: 0,
    refundedCents: 0,
    channels: [],
    devices: [],
  };
}

function cents(value: Json | undefined): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.round(n * 100) : undefined;
}

/** Revenue of an order: `revenue`, else `total` (Segment spec), else the sum of products. */
function orderCents(properties: JsonObject | undefined): number {
  if (!properties) return 0;
  const stated = cents(properties['revenue']) ?? cents(properties['total']);
  if (stated !== undefined) return stated;
  const products = properties['products'];
  if (!Array.isArray(products)) return 0;
  let sum = 0;
  for (const product of products) {
    if (typeof product !== 'object' || product === null || Array.isArray(product)) continue;
    const quantity = typeof product['quantity'] === 'number' ? product['quantity'] : 1;
    sum += Math.round((cents(product['price']) ?? 0) * quantity);
  }
  return sum;
}

function insertSorted(set: string[], value: string, max: number): void {
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const cmp = compareStrings(set[mid] ?? '', value);
    if (cmp === 0) return;
    if (cmp < 0) lo = mid + 1;
    else hi = mid;
  }
  set.splice(lo, 0, value);
  // Keeping the smallest values keeps the set a pure function of its inputs.
  if (set.length > max) set.length = max;
}

function minTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStrings(a, b) <= 0 ? a : b;
}

function maxTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareStrings(a, b) >= 0 ? a : b;
}

/** Adds one event fact to the state (in place). Manual edits do not count as activity. */
export function applyBuiltin(state: BuiltinState, fact: ProfileFact): void {
  if (fact.kind !== 'event') return;
  state.firstSeen = minTime(state.firstSeen, fact.at);
  state.lastSeen = maxTime(state.lastSeen, fact.at);
  state.eventCount += 1;
  state.eventCounts[fact.eventKey] = (state.eventCounts[fact.eventKey] ?? 0) + 1;
  if (fact.sessionId) insertSorted(state.sessionIds, fact.sessionId, MAX_SESSION_IDS);
  if (fact.type === 'page') state.pageViews += 1;
  if (fact.type === 'track' && fact.eventKey === ORDER_COMPLETED) {
    state.ordersCount += 1;
    state.revenueCents += orderCents(fact.properties);
    state.lastOrderAt = maxTime(state.lastOrderAt, fact.at);
  }
  if (fact.type === 'track' && fact.eventKey === ORDER_REFUNDED)
    state.refundedCents += orderCents(fact.properties);
  if (fact.channel) insertSorted(state.channels, fact.channel, MAX_SET);
  if (fact.device) insertSorted(state.devices, fact.device, MAX_SET);
}

/** Joins `from` into `into` (in place): what a merge does. */
export function joinBuiltin(into: BuiltinState, from: BuiltinState): void {
  into.firstSeen = minTime(into.firstSeen, from.firstSeen);
  into.lastSeen = maxTime(into.lastSeen, from.lastSeen);
  into.eventCount += from.eventCount;
  for (const [key, count] of Object.entries(from.eventCounts))
    into.eventCounts[key] = (into.eventCounts[key] ?? 0) + count;
  for (const id of from.sessionIds) insertSorted(into.sessionIds, id, MAX_SESSION_IDS);
  into.pageViews += from.pageViews;
  into.ordersCount += from.ordersCount;
  into.revenueCents += from.revenueCents;
  into.refundedCents += from.refundedCents;
  into.lastOrderAt = maxTime(into.lastOrderAt, from.lastOrderAt);
  for (const c of from.channels) insertSorted(into.channels, c, MAX_SET);
  for (const d of from.devices) insertSorted(into.devices, d, MAX_SET);
}

/**
 * Values of the built-in computed traits that change only with events (the ones
 * `ProfileUpdated` carries as `computed.<id>`). Net revenue = orders − refunds.
 */
export function builtinValues(state: BuiltinState): Record<string, Json> {
  const netCents = state.revenueCents - state.refundedCents;
  const sortedCounts: Record<string, number> = {};
  for (const key of Object.keys(state.eventCounts).sort(compareStrings))
    sortedCounts[key] = state.eventCounts[key] ?? 0;
  return {
    first_seen: state.firstSeen ?? null,
    last_seen: state.lastSeen ?? null,
    event_count: state.eventCount,
    event_counts: sortedCounts,
    sessions: state.sessionIds.length,
    page_views: state.pageViews,
    orders_count: state.ordersCount,
    total_revenue: netCents / 100,
    avg_order_value: state.ordersCount === 0 ? 0 : Math.round(netCents / state.ordersCount) / 100,
    last_order_at: state.lastOrderAt ?? null,
    channels: [...state.channels],
    devices: [...state.devices],
  };
}

const DAY_MS = 86_400_000;

/** Recency score from days since the last order (none → 1). */
function recencyScore(days: number | null): number {
  if (days === null) return 1;
  return days <= 30 ? 5 : days <= 90 ? 4 : days <= 180 ? 3 : days <= 365 ? 2 : 1;
}

function frequencyScore(orders: number): number {
  return orders >= 10 ? 5 : orders >= 5 ? 4 : orders >= 3 ? 3 : orders >= 2 ? 2 : 1;
}

function monetaryScore(revenue: number): number {
  return revenue >= 1000 ? 5 : revenue >= 500 ? 4 : revenue >= 200 ? 3 : revenue >= 50 ? 2 : 1;
}

/**
 * Computed traits that change with the clock, not with events: derived when read, never sent in
 * updates. RFM uses fixed thresholds (recency days 30/90/180/365, orders 2/3/5/10, net revenue
 * 50/200/500/1000) rather than quintiles over the workspace, so one profile's score does not move
 * when other customers buy; `score` is the three digits `"RFM"`.
 */
export function clockValues(state: BuiltinState, now: Date): Record<string, Json> {
  const days =
    state.lastOrderAt === undefined
      ? null
      : Math.max(0, Math.floor((now.getTime() - Date.parse(state.lastOrderAt)) / DAY_MS));
  const r = recencyScore(days);
  const f = frequencyScore(state.ordersCount);
  const m = monetaryScore((state.revenueCents - state.refundedCents) / 100);
  return {
    days_since_last_order: days,
    rfm: state.ordersCount === 0 ? null : { r, f, m, score: `${r}${f}${m}` },
  };
}
