import { type JsonValue, type TraitOperator } from './definition';
import { durationMs, parseInstant } from './duration';

/** A value read from a profile, an event or a CRM record; undefined when absent. */
export type Actual = JsonValue | undefined;

/** Reads `path` inside `value` (object keys; array indexes as decimal strings). */
export function readPath(value: Actual, path: readonly string[]): Actual {
  let current: Actual = value;
  for (const key of path) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key)) return undefined;
      current = current[Number(key)];
    } else if (typeof current === 'object' && current !== null) {
      current = Object.prototype.hasOwnProperty.call(current, key) ? current[key] : undefined;
    } else return undefined;
  }
  return current;
}

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i] as JsonValue));
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => k in b && deepEqual(a[k] as JsonValue, b[k] as JsonValue));
}

/** Epoch ms of a date value: an ISO-8601 string or a number of epoch milliseconds. */
export function instantOf(value: Actual): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') return parseInstant(value);
  return undefined;
}

/**
 * The one comparison semantics of the language (traits, company fields and, mirrored in the
 * ClickHouse compiler, event properties):
 * - absent and null values: only `exists`/`not_exists`, `not_equals` (true) and `equals null`
 *   see them; every other operator is false on them;
 * - equals compares JSON values exactly (types matter: "3" is not 3; strings are case-sensitive);
 * - contains: substring of a string, or an element of an array; starts_with: strings only;
 * - gt/gte/lt/lte/between: numbers only (between is inclusive);
 * - before/after/within_last/more_than_ago: ISO-8601 strings or epoch-ms numbers.
 */
export function compareValue(
  operator: TraitOperator,
  actual: Actual,
  expected: JsonValue | undefined,
  now: number,
): boolean {
  switch (operator) {
    case 'exists':
      return actual !== undefined && actual !== null;
    case 'not_exists':
      return actual === undefined || actual === null;
    case 'equals':
      return actual !== undefined && expected !== undefined && deepEqual(actual, expected);
    case 'not_equals':
      return !(actual !== undefined && expected !== undefined && deepEqual(actual, expected));
    case 'in':
      return (
        actual !== undefined &&
        Array.isArray(expected) &&
        expected.some((candidate) => deepEqual(actual, candidate))
      );
    case 'contains':
      if (typeof expected !== 'string') return false;
      if (typeof actual === 'string') return actual.includes(expected);
      return Array.isArray(actual) && actual.some((v) => v === expected);
    case 'starts_with':
      return (
        typeof actual === 'string' && typeof expected === 'string' && actual.startsWith(expected)
      );
    case 'gt':
      return typeof actual === 'number' && typeof expected === 'number' && actual > expected;
    case 'gte':
      return typeof actual === 'number' && typeof expected === 'number' && actual >= expected;
    case 'lt':
      return typeof actual === 'number' && typeof expected === 'number' && actual < expected;
    case 'lte':
      return typeof actual === 'number' && typeof expected === 'number' && actual <= expected;
    case 'between': {
      if (typeof actual !== 'number' || !Array.isArray(expected)) return false;
      const [min, max] = expected;
      return typeof min === 'number' && typeof max === 'number' && actual >= min && actual <= max;
    }
    case 'before':
    case 'after': {
      const at = instantOf(actual);
      const bound = typeof expected === 'string' ? parseInstant(expected) : undefined;
      if (at === undefined || bound === undefined) return false;
      return operator === 'before' ? at < bound : at > bound;
    }
    case 'within_last':
    case 'more_than_ago': {
      const at = instantOf(actual);
      if (at === undefined || typeof expected !== 'string') return false;
      const since = now - durationMs(expected);
      return operator === 'within_last' ? at >= since && at <= now : at < since;
    }
  }
}

/**
 * When `compareValue` of a relative date operator may flip as the clock moves (undefined when
 * it cannot): the instant after the value leaves the window, or when a future value enters it.
 */
export function nextFlipOfValue(
  operator: TraitOperator,
  actual: Actual,
  expected: JsonValue | undefined,
  now: number,
): number | undefined {
  if (operator !== 'within_last' && operator !== 'more_than_ago') return undefined;
  const at = instantOf(actual);
  if (at === undefined || typeof expected !== 'string') return undefined;
  const leaves = at + durationMs(expected) + 1;
  if (at > now) return at;
  return leaves > now ? leaves : undefined;
}
