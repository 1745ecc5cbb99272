import {
  DATE_OPERATORS,
  VALUE_OPERATORS,
  type Condition,
  type EventStep,
  type JsonValue,
  type PropertyFilter,
  type SegmentDefinition,
  type TimeWindow,
  type TraitOperator,
  type ValueOperator,
} from './definition';
import { parseDuration, parseInstant } from './duration';

/** One problem of a definition, at a JSON pointer into the submitted document. */
export interface DefinitionIssue {
  readonly pointer: string;
  readonly message: string;
}

export type ParseResult =
  | { readonly ok: true; readonly definition: SegmentDefinition }
  | { readonly ok: false; readonly issues: readonly DefinitionIssue[] };

/** Bounds that keep one definition cheap to evaluate per event. */
export const DEFINITION_LIMITS = { maxDepth: 12, maxNodes: 200, maxListValues: 1000 } as const;

// 1 to 200 characters, none of them a control character.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
const NAME = /^[^\u0000-\u001f]{1,200}$/;
const TRAIT_KEY = /^[A-Za-z0-9_$][A-Za-z0-9_.$ -]{0,199}$/;
const PROPERTY_PATH = /^[A-Za-z0-9_$ -]{1,100}(\.[A-Za-z0-9_$ -]{1,100}){0,7}$/;

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Validates a submitted definition (`{ condition: … }`) and returns it typed, or every issue
 * found, each pointing at the offending node (RFC 6901 JSON pointer, e.g.
 * `/condition/conditions/1/count/value`). Unknown keys are issues too: a typo must not silently
 * widen an audience.
 */
export function parseDefinition(input: unknown): ParseResult {
  const issues: DefinitionIssue[] = [];
  let nodes = 0;
  const issue = (pointer: string, message: string): undefined => {
    issues.push({ pointer, message });
    return undefined;
  };

  const allowKeys = (node: Json, pointer: string, keys: readonly string[]): void => {
    for (const key of Object.keys(node))
      if (!keys.includes(key)) issue(`${pointer}/${escapePointer(key)}`, `unknown key "${key}"`);
  };

  const text = (
    value: unknown,
    pointer: string,
    pattern = NAME,
    what = 'a string',
  ): string | undefined =>
    typeof value === 'string' && pattern.test(value) ? value : issue(pointer, `expected ${what}`);

  const jsonValue = (value: unknown, pointer: string): JsonValue | undefined => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number')
      return Number.isFinite(value) ? value : issue(pointer, 'expected a finite number');
    return issue(pointer, 'expected a string, number, boolean or null');
  };

  const operand = (
    node: Json,
    pointer: string,
    operator: TraitOperator,
  ): { value?: JsonValue } | undefined => {
    const at = `${pointer}/value`;
    const value = node.value;
    switch (operator) {
      case 'exists':
      case 'not_exists':
        if (value !== undefined) return issue(at, `"${operator}" takes no value`);
        return {};
      case 'in': {
        if (
          !Array.isArray(value) ||
          value.length === 0 ||
          value.length > DEFINITION_LIMITS.maxListValues
        )
          return issue(
            at,
            `expected a non-empty array of at most ${DEFINITION_LIMITS.maxListValues} values`,
          );
        const values: JsonValue[] = [];
        value.forEach((v, i) => {
          const parsed = jsonValue(v, `${at}/${i}`);
          if (parsed !== undefined) values.push(parsed);
        });
        return values.length === value.length ? { value: values } : undefined;
      }
      case 'between': {
        if (
          !Array.isArray(value) ||
          value.length !== 2 ||
          typeof value[0] !== 'number' ||
          typeof value[1] !== 'number' ||
          !Number.isFinite(value[0]) ||
          !Number.isFinite(value[1]) ||
          value[0] > value[1]
        )
          return issue(at, 'expected [min, max]: two finite numbers, min <= max');
        return { value: [value[0], value[1]] };
      }
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return typeof value === 'number' && Number.isFinite(value)
          ? { value }
          : issue(at, 'expected a finite number');
      case 'contains':
      case 'starts_with':
        return typeof value === 'string' && value.length > 0 && value.length <= 1000
          ? { value }
          : issue(at, 'expected a non-empty string');
      case 'equals':
      case 'not_equals': {
        if (value === undefined) return issue(at, `"${operator}" needs a value`);
        const parsed = jsonValue(value, at);
        return parsed === undefined ? undefined : { value: parsed };
      }
      case 'before':
      case 'after':
        return typeof value === 'string' && parseInstant(value) !== undefined
          ? { value }
          : issue(at, 'expected an ISO-8601 date or date-time');
      case 'within_last':
      case 'more_than_ago':
        return typeof value === 'string' && parseDuration(value) !== undefined
          ? { value }
          : issue(at, 'expected a duration such as "30d" (s, m, h, d, w)');
    }
  };

  const operatorOf = <T extends string>(
    node: Json,
    pointer: string,
    allowed: readonly T[],
  ): T | undefined => {
    const op = node.operator;
    return typeof op === 'string' && (allowed as readonly string[]).includes(op)
      ? (op as T)
      : issue(`${pointer}/operator`, `expected one of ${allowed.join(', ')}`);
  };

  const path = (value: unknown, pointer: string): string[] | undefined => {
    if (!Array.isArray(value) || value.length === 0 || value.length > 8)
      return issue(pointer, 'expected a non-empty array of at most 8 keys');
    const keys = value.map((k, i) => text(k, `${pointer}/${i}`));
    return keys.every((k): k is string => k !== undefined) ? keys : undefined;
  };

  const window = (value: unknown, pointer: string): TimeWindow | undefined => {
    if (value === undefined) return { type: 'ever' };
    if (!isObject(value)) return issue(pointer, 'expected a window object');
    switch (value.type) {
      case 'ever':
        allowKeys(value, pointer, ['type']);
        return { type: 'ever' };
      case 'last': {
        allowKeys(value, pointer, ['type', 'duration']);
        const duration = value.duration;
        return typeof duration === 'string' && parseDuration(duration) !== undefined
          ? { type: 'last', duration }
          : issue(`${pointer}/duration`, 'expected a duration such as "7d" (s, m, h, d, w)');
      }
      case 'between': {
        allowKeys(value, pointer, ['type', 'from', 'to']);
        const from = typeof value.from === 'string' ? parseInstant(value.from) : undefined;
        const to = typeof value.to === 'string' ? parseInstant(value.to) : undefined;
        if (from === undefined)
          return issue(`${pointer}/from`, 'expected an ISO-8601 date or date-time');
        if (to === undefined)
          return issue(`${pointer}/to`, 'expected an ISO-8601 date or date-time');
        if (from > to) return issue(`${pointer}/to`, 'must not be before "from"');
        return { type: 'between', from: value.from as string, to: value.to as string };
      }
      default:
        return issue(`${pointer}/type`, 'expected "ever", "last" or "between"');
    }
  };

  const filters = (value: unknown, pointer: string): PropertyFilter[] | undefined => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.length > 20)
      return issue(pointer, 'expected an array of at most 20 property filters');
    const out: PropertyFilter[] = [];
    value.forEach((f, i) => {
      const at = `${pointer}/${i}`;
      if (!isObject(f)) return issue(at, 'expected a property filter object');
      allowKeys(f, at, ['property', 'operator', 'value']);
      const property = text(f.property, `${at}/property`, PROPERTY_PATH, 'a dotted property path');
      const operator = operatorOf<ValueOperator>(f, at, VALUE_OPERATORS);
      if (property === undefined || operator === undefined) return undefined;
      const rest = operand(f, at, operator);
      if (rest) out.push({ property, operator, ...rest });
      return undefined;
    });
    return out.length === value.length ? out : undefined;
  };

  const step = (node: Json, pointer: string): EventStep | undefined => {
    const event = text(node.event, `${pointer}/event`, NAME, 'an event name');
    const where = filters(node.where, `${pointer}/where`);
    if (event === undefined || where === undefined) return undefined;
    return where.length > 0 ? { event, where } : { event };
  };

  const traitLike = (
    node: Json,
    pointer: string,
  ): { operator: TraitOperator; value?: JsonValue; path?: string[] } | undefined => {
    const operator = operatorOf<TraitOperator>(node, pointer, [
      ...VALUE_OPERATORS,
      ...DATE_OPERATORS,
    ]);
    const nested = node.path === undefined ? undefined : path(node.path, `${pointer}/path`);
    if (operator === undefined || (node.path !== undefined && nested === undefined))
      return undefined;
    const rest = operand(node, pointer, operator);
    if (!rest) return undefined;
    return { operator, ...rest, ...(nested ? { path: nested } : {}) };
  };

  const condition = (value: unknown, pointer: string, depth: number): Condition | undefined => {
    nodes += 1;
    if (nodes > DEFINITION_LIMITS.maxNodes)
      return nodes === DEFINITION_LIMITS.maxNodes + 1
        ? issue(pointer, `more than ${DEFINITION_LIMITS.maxNodes} conditions`)
        : undefined;
    if (depth > DEFINITION_LIMITS.maxDepth)
      return issue(pointer, `nested deeper than ${DEFINITION_LIMITS.maxDepth} levels`);
    if (!isObject(value)) return issue(pointer, 'expected a condition object');
    switch (value.type) {
      case 'and':
      case 'or': {
        allowKeys(value, pointer, ['type', 'conditions']);
        const list = value.conditions;
        if (!Array.isArray(list) || list.length === 0 || list.length > 50)
          return issue(`${pointer}/conditions`, 'expected 1 to 50 conditions');
        const children = list.map((c, i) => condition(c, `${pointer}/conditions/${i}`, depth + 1));
        return children.every((c): c is Condition => c !== undefined)
          ? { type: value.type, conditions: children }
          : undefined;
      }
      case 'not': {
        allowKeys(value, pointer, ['type', 'condition']);
        const child = condition(value.condition, `${pointer}/condition`, depth + 1);
        return child ? { type: 'not', condition: child } : undefined;
      }
      case 'trait': {
        allowKeys(value, pointer, ['type', 'key', 'path', 'operator', 'value']);
        const key = text(value.key, `${pointer}/key`, TRAIT_KEY, 'a trait key');
        const rest = traitLike(value, pointer);
        return key !== undefined && rest ? { type: 'trait', key, ...rest } : undefined;
      }
      case 'computed': {
        allowKeys(value, pointer, ['type', 'trait', 'path', 'operator', 'value']);
        const trait = text(value.trait, `${pointer}/trait`, TRAIT_KEY, 'a computed trait id');
        const rest = traitLike(value, pointer);
        return trait !== undefined && rest ? { type: 'computed', trait, ...rest } : undefined;
      }
      case 'event': {
        allowKeys(value, pointer, ['type', 'event', 'where', 'performed', 'count', 'window']);
        const base = step(value, pointer);
        const when = window(value.window, `${pointer}/window`);
        const performed = value.performed;
        if (performed !== undefined && typeof performed !== 'boolean')
          return issue(`${pointer}/performed`, 'expected a boolean');
        let count: { operator: 'at_least' | 'at_most' | 'exactly'; value: number } | undefined;
        if (value.count !== undefined) {
          const at = `${pointer}/count`;
          if (performed === false) return issue(at, 'a count cannot go with "performed": false');
          if (!isObject(value.count)) return issue(at, 'expected { operator, value }');
          allowKeys(value.count, at, ['operator', 'value']);
          const operator = operatorOf(value.count, at, ['at_least', 'at_most', 'exactly'] as const);
          const n = value.count.value;
          if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 1_000_000)
            return issue(`${at}/value`, 'expected an integer from 0 to 1000000');
          if (operator === undefined) return undefined;
          count = { operator, value: n };
        }
        if (!base || !when) return undefined;
        return {
          type: 'event',
          ...base,
          ...(performed === false ? { performed: false } : {}),
          ...(count ? { count } : {}),
          window: when,
        };
      }
      case 'sequence': {
        allowKeys(value, pointer, ['type', 'steps', 'within', 'window']);
        const list = value.steps;
        if (!Array.isArray(list) || list.length !== 2)
          return issue(`${pointer}/steps`, 'expected exactly two steps: [first, then]');
        const steps = list.map((s, i) =>
          isObject(s)
            ? (allowKeys(s, `${pointer}/steps/${i}`, ['event', 'where']),
              step(s, `${pointer}/steps/${i}`))
            : issue(`${pointer}/steps/${i}`, 'expected { event, where? }'),
        );
        const within =
          typeof value.within === 'string' && parseDuration(value.within) !== undefined
            ? value.within
            : issue(`${pointer}/within`, 'expected a duration such as "1h" (s, m, h, d, w)');
        const when = window(value.window, `${pointer}/window`);
        const [first, then] = steps;
        if (!first || !then || within === undefined || !when) return undefined;
        return { type: 'sequence', steps: [first, then], within, window: when };
      }
      case 'deal': {
        allowKeys(value, pointer, ['type', 'stageId', 'stageKind', 'pipelineId']);
        const out: {
          type: 'deal';
          stageId?: string;
          stageKind?: 'open' | 'won' | 'lost';
          pipelineId?: string;
        } = {
          type: 'deal',
        };
        let ok = true;
        if (value.stageId !== undefined) {
          const s = text(value.stageId, `${pointer}/stageId`);
          if (s === undefined) ok = false;
          else out.stageId = s;
        }
        if (value.pipelineId !== undefined) {
          const s = text(value.pipelineId, `${pointer}/pipelineId`);
          if (s === undefined) ok = false;
          else out.pipelineId = s;
        }
        if (value.stageKind !== undefined) {
          const kind = value.stageKind;
          if (kind === 'open' || kind === 'won' || kind === 'lost') out.stageKind = kind;
          else {
            issue(`${pointer}/stageKind`, 'expected open, won or lost');
            ok = false;
          }
        }
        return ok ? out : undefined;
      }
      case 'company': {
        allowKeys(value, pointer, ['type', 'field', 'operator', 'value']);
        const field = text(value.field, `${pointer}/field`, TRAIT_KEY, 'a company field');
        const rest = traitLike(value, pointer);
        if (rest?.path) return issue(`${pointer}/path`, 'company conditions take no path');
        return field !== undefined && rest ? { type: 'company', field, ...rest } : undefined;
      }
      case 'open_tickets': {
        allowKeys(value, pointer, ['type', 'operator', 'value']);
        const operator = operatorOf(value, pointer, ['equals', 'gt', 'gte', 'lt', 'lte'] as const);
        const n = value.value;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
          return issue(`${pointer}/value`, 'expected a non-negative integer');
        return operator ? { type: 'open_tickets', operator, value: n } : undefined;
      }
      case 'segment': {
        allowKeys(value, pointer, ['type', 'segmentId']);
        const id = text(
          value.segmentId,
          `${pointer}/segmentId`,
          /^[A-Za-z0-9_-]{1,64}$/,
          'a segment id',
        );
        return id === undefined ? undefined : { type: 'segment', segmentId: id };
      }
      default:
        return issue(
          `${pointer}/type`,
          'expected one of and, or, not, trait, computed, event, sequence, deal, company, open_tickets, segment',
        );
    }
  };

  if (!isObject(input))
    return { ok: false, issues: [{ pointer: '', message: 'expected { condition }' }] };
  allowKeys(input, '', ['condition']);
  const root = condition(input.condition, '/condition', 1);
  if (issues.length > 0 || !root) {
    return {
      ok: false,
      issues: issues.length > 0 ? issues : [{ pointer: '/condition', message: 'invalid' }],
    };
  }
  return { ok: true, definition: { condition: root } };
}
