import {
  type BehavioralCondition,
  type EventStep,
  type JsonValue,
  type PropertyFilter,
  type TimeWindow,
} from '../domain/definition';
import { durationMs } from '../domain/duration';
import { windowBounds } from '../domain/evaluate';

/** Parameterised ClickHouse SQL: values travel only as `{name:Type}` query parameters. */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: Record<string, unknown>;
}

/**
 * A behavioral condition as a ClickHouse query returning a set S of `profile_id`s, and how the
 * condition relates to S: `negate: false` → true exactly for profiles in S; `negate: true` → true
 * exactly for profiles NOT in S. Negation is what lets "did not perform" and "at most N" be
 * answered by a query over events that exist (the profiles that violate them all have events).
 */
export interface CompiledBehavior extends CompiledQuery {
  readonly negate: boolean;
}

class Params {
  readonly values: Record<string, unknown> = {};
  private next = 0;
  add(type: string, value: unknown): string {
    const name = `p${this.next++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/**
 * Rows of `inner` (which selects `user_id`, `anonymous_id` and `columns` from events) with the
 * profile of each event, following merges: the current profile of its user id, else of its
 * anonymous id, from identity_map (highest version per identifier wins).
 */
function withProfiles(
  params: Params,
  ws: string,
  inner: string,
  columns: readonly string[],
): string {
  const map = (type: string): string =>
    `(SELECT identifier_value, argMax(profile_id, version) AS profile_id FROM identity_map ` +
    `WHERE workspace_id = ${ws} AND identifier_type = ${params.add('String', type)} GROUP BY identifier_value)`;
  return (
    `SELECT if(u.profile_id != '', u.profile_id, a.profile_id) AS profile_id` +
    columns.map((c) => `, e.${c} AS ${c}`).join('') +
    ` FROM (${inner}) AS e ` +
    `LEFT JOIN ${map('user_id')} AS u ON u.identifier_value = e.user_id ` +
    `LEFT JOIN ${map('anonymous_id')} AS a ON a.identifier_value = e.anonymous_id`
  );
}

function windowSql(params: Params, window: TimeWindow | undefined, now: number): string {
  const { from, to } = windowBounds(window, now);
  const parts: string[] = [];
  if (from !== undefined)
    parts.push(`timestamp >= fromUnixTimestamp64Milli(${params.add('Int64', from)}, 'UTC')`);
  if (to !== undefined)
    parts.push(`timestamp <= fromUnixTimestamp64Milli(${params.add('Int64', to)}, 'UTC')`);
  return parts.length === 0 ? '1' : parts.join(' AND ');
}

const NUMERIC_TYPES = `('Int64', 'UInt64', 'Double')`;

/** `compareValue` of the domain (values.ts), for one event property, in ClickHouse. */
function propertyFilterSql(params: Params, filter: PropertyFilter): string {
  const path = ['properties', ...filter.property.split('.')]
    .map((key) => params.add('String', key))
    .join(', ');
  const type = `toString(JSONType(raw, ${path}))`;
  const has = `JSONHas(raw, ${path})`;
  const present = `(${has} AND ${type} != 'Null')`;
  const equals = (value: JsonValue | undefined): string => {
    if (value === null) return `(${has} AND ${type} = 'Null')`;
    if (typeof value === 'string')
      return `(${type} = 'String' AND JSONExtractString(raw, ${path}) = ${params.add('String', value)})`;
    if (typeof value === 'number')
      return `(${type} IN ${NUMERIC_TYPES} AND JSONExtractFloat(raw, ${path}) = ${params.add('Float64', value)})`;
    if (typeof value === 'boolean')
      return `(${type} = 'Bool' AND JSONExtractBool(raw, ${path}) = ${params.add('UInt8', value ? 1 : 0)})`;
    return '0'; // the language only compares scalars with equals/in
  };
  const numeric = (op: string, value: JsonValue | undefined): string =>
    typeof value === 'number'
      ? `(${type} IN ${NUMERIC_TYPES} AND JSONExtractFloat(raw, ${path}) ${op} ${params.add('Float64', value)})`
      : '0';
  const value = filter.value;
  switch (filter.operator) {
    case 'exists':
      return present;
    case 'not_exists':
      return `NOT ${present}`;
    case 'equals':
      return equals(value);
    case 'not_equals':
      return `NOT ${equals(value)}`;
    case 'in':
      return Array.isArray(value) ? `(${value.map(equals).join(' OR ')})` : '0';
    case 'contains':
      if (typeof value !== 'string') return '0';
      return (
        `((${type} = 'String' AND position(JSONExtractString(raw, ${path}), ${params.add('String', value)}) > 0) OR ` +
        `(${type} = 'Array' AND has(JSONExtractArrayRaw(raw, ${path}), ${params.add('String', JSON.stringify(value))})))`
      );
    case 'starts_with':
      return typeof value === 'string'
        ? `(${type} = 'String' AND startsWith(JSONExtractString(raw, ${path}), ${params.add('String', value)}))`
        : '0';
    case 'gt':
      return numeric('>', value);
    case 'gte':
      return numeric('>=', value);
    case 'lt':
      return numeric('<', value);
    case 'lte':
      return numeric('<=', value);
    case 'between': {
      if (!Array.isArray(value)) return '0';
      return `(${numeric('>=', value[0])} AND ${numeric('<=', value[1])})`;
    }
  }
}

function stepSql(params: Params, step: EventStep): string {
  const filters = (step.where ?? []).map((f) => propertyFilterSql(params, f));
  return [`event = ${params.add('String', step.event)}`, ...filters].join(' AND ');
}

/**
 * Compiles an event or sequence condition for the profiles of `workspaceId` at `now` (epoch ms;
 * a parameter, never ClickHouse's clock, so batch and real time agree on "the last 7 days").
 */
export function compileBehavior(
  node: BehavioralCondition,
  workspaceId: string,
  now: number,
): CompiledBehavior {
  const params = new Params();
  const ws = params.add('String', workspaceId);
  const track = params.add('String', 'track');
  const base = `workspace_id = ${ws} AND type = ${track} AND ${windowSql(params, node.window, now)}`;
  if (node.type === 'event') {
    const rule =
      node.performed === false
        ? { operator: 'exactly' as const, value: 0 }
        : (node.count ?? { operator: 'at_least' as const, value: 1 });
    // S and polarity per rule (see CompiledBehavior): violators of at_most/exactly-0 all have events.
    let having: string;
    let negate: boolean;
    const n = (value: number) => params.add('UInt64', value);
    switch (rule.operator) {
      case 'at_least':
        [having, negate] = rule.value === 0 ? ['0', true] : [`sum(n) >= ${n(rule.value)}`, false];
        break;
      case 'at_most':
        [having, negate] = [`sum(n) > ${n(rule.value)}`, true];
        break;
      case 'exactly':
        [having, negate] =
          rule.value === 0 ? ['sum(n) > 0', true] : [`sum(n) = ${n(rule.value)}`, false];
        break;
    }
    // Counted per identifier pair first: the join with identity_map then sees one row per
    // (user id, anonymous id) instead of one per event.
    const inner =
      `SELECT user_id, anonymous_id, count() AS n FROM events WHERE ${base} AND ${stepSql(params, node)} ` +
      `GROUP BY user_id, anonymous_id`;
    return {
      sql:
        `SELECT profile_id FROM (${withProfiles(params, ws, inner, ['n'])}) WHERE profile_id != '' ` +
        `GROUP BY profile_id HAVING ${having}`,
      params: params.values,
      negate,
    };
  }
  const [first, then] = node.steps;
  const isFirst = stepSql(params, first);
  const isThen = stepSql(params, then);
  const within = params.add('Int64', durationMs(node.within));
  // Step flags are computed in the scan, where raw and event are the events' own columns.
  const inner =
    `SELECT user_id, anonymous_id, toUnixTimestamp64Milli(timestamp) AS at, (${isFirst}) AS is_first, ` +
    `(${isThen}) AS is_then FROM events WHERE ${base} AND ((${isFirst}) OR (${isThen}))`;
  const resolved = withProfiles(params, ws, inner, ['at', 'is_first', 'is_then']);
  const sql =
    `SELECT profile_id FROM (SELECT profile_id, groupArrayIf(at, is_first) AS firsts, ` +
    `groupArrayIf(at, is_then) AS thens FROM (${resolved}) WHERE profile_id != '' GROUP BY profile_id) ` +
    `WHERE arrayExists(t -> arrayExists(f -> f < t AND t - f <= ${within}, firsts), thens)`;
  return { sql, params: params.values, negate: false };
}

/**
 * Every stored event of `step`'s kind with its current profile (message_id, profile_id,
 * epoch ms, user_id, anonymous_id): the backfill of real-time hits for a new matcher.
 */
export function compileStepEvents(step: EventStep, workspaceId: string): CompiledQuery {
  const params = new Params();
  const ws = params.add('String', workspaceId);
  const inner =
    `SELECT message_id, user_id, anonymous_id, toUnixTimestamp64Milli(timestamp) AS at FROM events ` +
    `WHERE workspace_id = ${ws} AND type = ${params.add('String', 'track')} AND ${stepSql(params, step)}`;
  const resolved = withProfiles(params, ws, inner, ['message_id', 'at', 'user_id', 'anonymous_id']);
  return {
    sql: `SELECT message_id, profile_id, toString(at), user_id, anonymous_id FROM (${resolved}) WHERE profile_id != ''`,
    params: params.values,
  };
}
