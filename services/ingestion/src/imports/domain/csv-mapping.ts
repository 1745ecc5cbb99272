import type { ColumnMapping, CsvMappingSpec, FieldError, ValueType } from './import-job';

/** Top-level Segment fields a column or constant may target. */
export const TOP_LEVEL_TARGETS = [
  'type',
  'userId',
  'anonymousId',
  'event',
  'name',
  'category',
  'groupId',
  'previousId',
  'messageId',
  'timestamp',
  'email',
] as const;
const NESTED_ROOTS = ['traits', 'properties', 'context', 'integrations'] as const;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Columns named like a Segment field map to it without a mapping (case and `_` insensitive). */
const DEFAULT_COLUMN_TARGETS: ReadonlyMap<string, string> = new Map(
  TOP_LEVEL_TARGETS.map((t) => [normalise(t), t]),
);

function normalise(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, '');
}

/** Why a target is not valid, or undefined when it is. */
export function checkTarget(target: string): string | undefined {
  if ((TOP_LEVEL_TARGETS as readonly string[]).includes(target)) return undefined;
  const [root, ...rest] = target.split('.');
  if (!(NESTED_ROOTS as readonly string[]).includes(root ?? '') || rest.length === 0)
    return `unknown target "${target}": expected one of ${TOP_LEVEL_TARGETS.join(', ')} or a path under ${NESTED_ROOTS.map((r) => `${r}.`).join(', ')}`;
  if (rest.some((part) => part === '' || FORBIDDEN_KEYS.has(part)))
    return `invalid path "${target}"`;
  return undefined;
}

/** A column's destination: a fixed target, or the row type's default bag (traits/properties). */
interface ColumnPlan {
  readonly index: number;
  readonly column: string;
  /** undefined: the unmapped default, decided per row from its type. */
  readonly target: string | undefined;
  readonly type: ValueType | 'infer' | 'string';
}

/** A mapping checked against the header row, ready to convert records. */
export interface CsvPlan {
  readonly header: readonly string[];
  readonly columns: readonly ColumnPlan[];
  readonly constants: readonly (readonly [string, unknown])[];
  readonly unmapped: 'auto' | 'traits' | 'properties' | 'ignore';
}

export type Compiled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

function columnSpec(mapping: ColumnMapping): { target?: string; type?: ValueType } | null {
  if (mapping === null) return null;
  if (typeof mapping === 'string') return { target: mapping };
  return mapping;
}

/** Checks a mapping against the header row of a CSV file. */
export function compileCsvMapping(
  header: readonly string[],
  spec: CsvMappingSpec = {},
): Compiled<CsvPlan> {
  const errors: FieldError[] = [];
  const explicit = spec.columns ?? {};
  for (const column of Object.keys(explicit)) {
    if (!header.includes(column))
      errors.push({ field: `mapping.columns.${column}`, message: 'no such column in the header' });
  }
  const seen = new Set<string>();
  header.forEach((column, index) => {
    if (seen.has(column))
      errors.push({ field: `header[${index}]`, message: `duplicate column "${column}"` });
    seen.add(column);
  });
  const columns: ColumnPlan[] = [];
  const infer = spec.inferTypes === true;
  header.forEach((column, index) => {
    const hasExplicit = Object.prototype.hasOwnProperty.call(explicit, column);
    if (hasExplicit) {
      const mapped = columnSpec(explicit[column] ?? null);
      if (mapped === null) return; // ignored column
      const target = mapped.target ?? defaultTarget(column);
      if (target !== undefined) {
        const problem = checkTarget(target);
        if (problem) {
          errors.push({ field: `mapping.columns.${column}`, message: problem });
          return;
        }
      }
      columns.push({ index, column, target, type: mapped.type ?? (infer ? 'infer' : 'string') });
      return;
    }
    const target = defaultTarget(column);
    if (target === undefined && spec.unmapped === 'ignore') return;
    columns.push({
      index,
      column,
      target,
      type: infer && !isIdTarget(target) ? 'infer' : 'string',
    });
  });
  const constants: (readonly [string, unknown])[] = [];
  for (const [target, value] of Object.entries(spec.constants ?? {})) {
    const problem = checkTarget(target);
    if (problem) errors.push({ field: `mapping.constants.${target}`, message: problem });
    else constants.push([target, value]);
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { header, columns, constants, unmapped: spec.unmapped ?? 'auto' } };
}

function isIdTarget(target: string | undefined): boolean {
  return target !== undefined && (TOP_LEVEL_TARGETS as readonly string[]).includes(target);
}

/**
 * The target a column gets without a mapping: a Segment field by name (`user_id` → userId), a
 * dotted path kept as is (`traits.plan`), else undefined (the row type's default bag).
 */
function defaultTarget(column: string): string | undefined {
  const known = DEFAULT_COLUMN_TARGETS.get(normalise(column));
  if (known) return known;
  if (column.includes('.') && checkTarget(column) === undefined) return column;
  return undefined;
}

/** Converts one cell to its declared type; an error names why. */
export function convertCell(
  raw: string,
  type: ValueType | 'infer',
): { value: unknown } | { error: string } {
  switch (type) {
    case 'string':
      return { value: raw };
    case 'number': {
      const n = Number(raw.trim());
      return raw.trim() !== '' && Number.isFinite(n)
        ? { value: n }
        : { error: `"${clip(raw)}" is not a number` };
    }
    case 'integer': {
      const n = Number(raw.trim());
      return raw.trim() !== '' && Number.isSafeInteger(n)
        ? { value: n }
        : { error: `"${clip(raw)}" is not an integer` };
    }
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes', 'y'].includes(v)) return { value: true };
      if (['false', '0', 'no', 'n'].includes(v)) return { value: false };
      return { error: `"${clip(raw)}" is not a boolean` };
    }
    case 'date': {
      const trimmed = raw.trim();
      const ms = /^\d+$/.test(trimmed)
        ? Number(trimmed) * (trimmed.length <= 10 ? 1000 : 1) // epoch seconds or ms
        : Date.parse(trimmed);
      return Number.isFinite(ms) && !Number.isNaN(new Date(ms).getTime())
        ? { value: new Date(ms).toISOString() }
        : { error: `"${clip(raw)}" is not a date` };
    }
    case 'json':
      try {
        return { value: JSON.parse(raw) as unknown };
      } catch {
        return { error: `"${clip(raw)}" is not JSON` };
      }
    case 'infer': {
      const trimmed = raw.trim();
      if (trimmed === 'true' || trimmed === 'false') return { value: trimmed === 'true' };
      if (/^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(trimmed)) return { value: Number(trimmed) };
      return { value: raw };
    }
  }
}

function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

const BAG_TYPES_FOR_TRAITS = new Set(['identify', 'group']);

/** Sets `value` at a dotted path of `target` (creating objects on the way). */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = parts[i] as string;
    const next = node[key];
    if (typeof next === 'object' && next !== null && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1] as string] = value;
}

/**
 * Turns one CSV record into a raw Segment event (validated later by the collector, like any
 * HTTP call). Empty cells are absent fields. The type comes from a constant, a `type` column, or
 * is `track` when the row names an event and `identify` otherwise.
 */
export function csvRecordToEvent(
  plan: CsvPlan,
  record: readonly string[],
): { event: Record<string, unknown> } | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const event: Record<string, unknown> = {};
  const pending: [ColumnPlan, unknown][] = [];
  for (const column of plan.columns) {
    const raw = record[column.index];
    if (raw === undefined || raw === '') continue;
    const converted = convertCell(raw, column.type);
    if ('error' in converted) {
      errors.push({ field: column.column, message: converted.error });
      continue;
    }
    pending.push([column, converted.value]);
  }
  if (errors.length > 0) return { errors };
  for (const [target, value] of plan.constants) setPath(event, target, value);
  for (const [column, value] of pending) {
    if (column.target === 'type' || column.target === 'event') setPath(event, column.target, value);
  }
  if (event.type === undefined) event.type = event.event !== undefined ? 'track' : 'identify';
  const type = typeof event.type === 'string' ? event.type : '';
  const bag =
    plan.unmapped === 'auto'
      ? BAG_TYPES_FOR_TRAITS.has(type)
        ? 'traits'
        : 'properties'
      : plan.unmapped;
  for (const [column, value] of pending) {
    if (column.target === 'type' || column.target === 'event') continue;
    if (column.target === 'email') {
      setPath(
        event,
        BAG_TYPES_FOR_TRAITS.has(type) ? 'traits.email' : 'context.traits.email',
        value,
      );
    } else if (column.target !== undefined) {
      setPath(event, column.target, value);
    } else if (bag !== 'ignore') {
      const current = event[bag];
      const target =
        typeof current === 'object' && current !== null && !Array.isArray(current)
          ? (current as Record<string, unknown>)
          : (event[bag] = {});
      // defineProperty: a column named "__proto__" is data, not a prototype.
      Object.defineProperty(target, column.column, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return { event };
}
