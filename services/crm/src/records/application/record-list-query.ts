import { DomainError } from '@cdp/contracts';
import { type CustomFieldDefinition } from '../domain/custom-fields';
import { isValidDate, normaliseInstant } from '../domain/field-values';
import { FIELD_SPECS, type AggregateType, type FieldKind } from '../domain/record-types';

/**
 * The list query language, parsed from the query string into a plan the repository turns into
 * SQL:
 * - `filter.<field>=v` or `filter.<field>.<op>=v`, op ∈ eq, ne, gt, gte, lt, lte, in (comma
 *   list), contains (an id in an id list / an option of a multi-enum / a target id), exists
 *   (true|false); `<field>` is a field name or `cf.<custom field key>`;
 * - `sort=<field>` or `sort=-<field>` (descending), also createdAt/updatedAt/cf.<key>;
 * - `q=<words>`: full-text search (prefix match of each word) on names, emails, notes;
 * - `archived=false|true|all`, `limit` (1–200), `cursor` (opaque, from `nextCursor`).
 */

export const FILTER_OPS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'contains',
  'exists',
] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/** What a filter or sort key refers to. */
export type FieldRef =
  | { readonly source: 'column'; readonly name: string; readonly kind: FieldKind }
  | { readonly source: 'system'; readonly name: 'createdAt' | 'updatedAt' }
  | { readonly source: 'custom'; readonly definition: CustomFieldDefinition };

export interface Filter {
  readonly ref: FieldRef;
  readonly op: FilterOp;
  /** Typed values (one, except for `in`). */
  readonly values: readonly (string | number | boolean)[];
}

export interface ListPlan {
  readonly filters: readonly Filter[];
  readonly sort: { readonly ref: FieldRef; readonly descending: boolean };
  readonly search: string | undefined;
  readonly archived: 'false' | 'true' | 'all';
  readonly limit: number;
  readonly cursor:
    { readonly value: string | number | boolean | null; readonly id: string } | undefined;
}

function bad(message: string, field: string): DomainError {
  return new DomainError('invalid', 'crm.invalid_query', `${field}: ${message}`, { field });
}

const SORTABLE_KINDS = new Set([
  'text',
  'email',
  'phone',
  'domain',
  'number',
  'integer',
  'boolean',
  'currency_code',
  'date',
  'datetime',
  'enum',
  'ref',
]);

export function resolveField(
  type: AggregateType,
  name: string,
  definitions: readonly CustomFieldDefinition[],
  where: string,
): FieldRef {
  if (name === 'createdAt' || name === 'updatedAt') return { source: 'system', name };
  if (name.startsWith('cf.')) {
    const key = name.slice(3);
    const definition = definitions.find((d) => d.objectType === type && d.key === key);
    if (!definition) throw bad(`no custom field "${key}" on ${type}`, where);
    return { source: 'custom', definition };
  }
  const spec = FIELD_SPECS[type].find((f) => f.name === name);
  if (!spec) throw bad(`not a field of ${type}`, where);
  return { source: 'column', name, kind: spec.type };
}

type Scalar = 'text' | 'number' | 'boolean' | 'date' | 'datetime' | 'list' | 'none';

/** The comparison type of a field reference. */
export function scalarOf(ref: FieldRef): Scalar {
  if (ref.source === 'system') return 'datetime';
  if (ref.source === 'custom')
    switch (ref.definition.type) {
      case 'number':
      case 'currency':
        return 'number';
      case 'date':
        return 'date';
      case 'boolean':
        return 'boolean';
      case 'multi_enum':
        return 'list';
      case 'text':
      case 'enum':
        return 'text';
    }
  switch (ref.kind.kind) {
    case 'number':
    case 'integer':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'refs':
    case 'targets':
    case 'datetimes':
      return 'list';
    case 'stages':
      return 'none';
    case 'text':
    case 'email':
    case 'phone':
    case 'domain':
    case 'currency_code':
    case 'enum':
    case 'ref':
      return 'text';
  }
}

function typedValue(scalar: Scalar, raw: string, where: string): string | number | boolean {
  switch (scalar) {
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw bad('expected a number', where);
      return n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw bad('expected true or false', where);
      return raw === 'true';
    case 'date':
      if (!isValidDate(raw)) throw bad('expected a date YYYY-MM-DD', where);
      return raw;
    case 'datetime': {
      const instant =
        normaliseInstant(raw) ?? (isValidDate(raw) ? `${raw}T00:00:00.000Z` : undefined);
      if (instant === undefined) throw bad('expected an ISO-8601 time or a date', where);
      return instant;
    }
    case 'text':
    case 'list':
      return raw;
    case 'none':
      throw bad('cannot be filtered', where);
  }
}

/** Words of a search, each matched as a prefix; operators and punctuation are dropped. */
export function searchQuery(q: string): string | undefined {
  const words = q
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 10);
  return words.length === 0 ? undefined : words.map((w) => `${w}:*`).join(' & ');
}

export function encodeCursor(value: string | number | boolean | null, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

function decodeCursor(cursor: string): ListPlan['cursor'] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') {
      const value = parsed[0] as unknown;
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
        return { value: value as string | number | boolean | null, id: parsed[1] };
    }
  } catch {
    // fall through: an unreadable cursor is the caller's mistake
  }
  throw bad('not a cursor returned by this API', 'cursor');
}

/** Parses the query string of a list call. */
export function parseListQuery(
  type: AggregateType,
  query: Readonly<Record<string, unknown>>,
  definitions: readonly CustomFieldDefinition[],
): ListPlan {
  const filters: Filter[] = [];
  let sort: ListPlan['sort'] = { ref: { source: 'system', name: 'updatedAt' }, descending: true };
  let search: string | undefined;
  let archived: ListPlan['archived'] = 'false';
  let limit = 50;
  let cursor: ListPlan['cursor'];
  for (const [key, rawValue] of Object.entries(query)) {
    if (rawValue === undefined) continue;
    if (typeof rawValue !== 'string') throw bad('given more than once', key);
    const value = rawValue;
    if (key === 'limit') {
      limit = Number(value);
      if (!Number.isInteger(limit) || limit < 1 || limit > 200)
        throw bad('an integer from 1 to 200', key);
    } else if (key === 'cursor') cursor = decodeCursor(value);
    else if (key === 'q') {
      if (value.length > 200) throw bad('at most 200 characters', key);
      search = searchQuery(value);
    } else if (key === 'archived') {
      if (value !== 'false' && value !== 'true' && value !== 'all')
        throw bad('false, true or all', key);
      archived = value;
    } else if (key === 'sort') {
      const descending = value.startsWith('-');
      const name = descending ? value.slice(1) : value;
      const ref = resolveField(type, name, definitions, key);
      const scalar = scalarOf(ref);
      if (scalar === 'list' || scalar === 'none') throw bad(`cannot sort by ${name}`, key);
      if (ref.source === 'column' && !SORTABLE_KINDS.has(ref.kind.kind))
        throw bad(`cannot sort by ${name}`, key);
      sort = { ref, descending };
    } else if (key.startsWith('filter.')) {
      filters.push(parseFilter(type, key, value, definitions));
    } else throw bad('unknown query parameter', key);
  }
  if (filters.length > 20) throw bad('at most 20 filters', 'filter');
  return { filters, sort, search, archived, limit, cursor };
}

function parseFilter(
  type: AggregateType,
  key: string,
  value: string,
  definitions: readonly CustomFieldDefinition[],
): Filter {
  const path = key.slice('filter.'.length);
  const last = path.lastIndexOf('.');
  const maybeOp = last > 0 ? path.slice(last + 1) : '';
  const isOp = (FILTER_OPS as readonly string[]).includes(maybeOp);
  const name = isOp ? path.slice(0, last) : path;
  const op = (isOp ? maybeOp : 'eq') as FilterOp;
  const ref = resolveField(type, name, definitions, key);
  const scalar = scalarOf(ref);
  if (op === 'exists') return { ref, op, values: [typedValue('boolean', value, key)] };
  if (scalar === 'none') throw bad('cannot be filtered', key);
  if (scalar === 'list') {
    if (op !== 'contains' && op !== 'eq') throw bad('a list field takes contains or exists', key);
    return { ref, op: 'contains', values: [value] };
  }
  if (op === 'contains') throw bad('contains applies to list fields', key);
  if (scalar === 'boolean' && op !== 'eq' && op !== 'ne') throw bad('takes eq, ne or exists', key);
  if (op === 'in') {
    const items = value.split(',').filter((v) => v.length > 0);
    if (items.length === 0 || items.length > 100) throw bad('1 to 100 comma-separated values', key);
    return { ref, op, values: items.map((v) => typedValue(scalar, v, key)) };
  }
  return { ref, op, values: [typedValue(scalar, value, key)] };
}
