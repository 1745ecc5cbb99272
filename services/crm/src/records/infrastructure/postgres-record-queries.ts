import type { DataSource } from 'typeorm';
import {
  encodeCursor,
  scalarOf,
  type FieldRef,
  type Filter,
  type ListPlan,
} from '../application/record-list-query';
import { type RecordState } from '../domain/crm-record';
import { type AggregateType } from '../domain/record-types';
import { columnsOf, snakeCase, tableOf } from './read-model-schema';

/** A record as the API shows it: its fields at top level, then the bookkeeping. */
export type RecordView = Record<string, unknown> & {
  readonly id: string;
  readonly version: number;
  readonly archived: boolean;
};

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Column → JSON-ready SQL expression (dates as text, numerics as numbers). */
function selectExpression(column: string, sqlType: string): string {
  switch (sqlType) {
    case 'date':
      return `to_char(${column}, 'YYYY-MM-DD')`;
    case 'timestamptz':
      return `to_char(${column} AT TIME ZONE 'UTC', ${ISO})`;
    case 'timestamptz[]':
      return `(SELECT array_agg(to_char(t AT TIME ZONE 'UTC', ${ISO}) ORDER BY t) FROM unnest(${column}) t)`;
    case 'numeric':
    case 'bigint':
      return `${column}::float8`;
    default:
      return column;
  }
}

function selectList(type: AggregateType): string {
  return [
    'id',
    'version',
    'archived',
    'custom_fields',
    `to_char(created_at AT TIME ZONE 'UTC', ${ISO}) AS created_at`,
    `to_char(updated_at AT TIME ZONE 'UTC', ${ISO}) AS updated_at`,
    ...columnsOf(type).map((c) => `${selectExpression(c.column, c.sqlType)} AS ${c.column}`),
  ].join(', ');
}

export function toView(type: AggregateType, row: Record<string, unknown>): RecordView {
  const view: Record<string, unknown> = { id: row.id };
  for (const { field, column } of columnsOf(type)) {
    const value = row[column];
    if (value !== null && value !== undefined) view[field.name] = value;
  }
  return {
    ...view,
    id: String(row.id),
    customFields: row.custom_fields ?? {},
    archived: row.archived as boolean,
    version: Number(row.version),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The SQL expression of a field reference and the cast of its parameters. */
function expressionOf(ref: FieldRef): { sql: string; cast: string } {
  if (ref.source === 'system')
    return { sql: ref.name === 'createdAt' ? 'r.created_at' : 'r.updated_at', cast: 'timestamptz' };
  if (ref.source === 'custom') {
    const key = `'${ref.definition.key}'`; // validated: [a-z][a-z0-9_]*
    switch (ref.definition.type) {
      case 'number':
        return { sql: `(r.custom_fields->>${key})::numeric`, cast: 'numeric' };
      case 'currency':
        return { sql: `(r.custom_fields->${key}->>'amount')::numeric`, cast: 'numeric' };
      case 'date':
        return { sql: `(r.custom_fields->>${key})::date`, cast: 'date' };
      case 'boolean':
        return { sql: `(r.custom_fields->>${key})::boolean`, cast: 'boolean' };
      case 'multi_enum':
        return { sql: `(r.custom_fields->${key})`, cast: 'text' };
      case 'text':
      case 'enum':
        return { sql: `(r.custom_fields->>${key})`, cast: 'text' };
    }
  }
  const column = columnsOf_(ref.name);
  switch (scalarOf(ref)) {
    case 'number':
      return { sql: column, cast: 'numeric' };
    case 'boolean':
      return { sql: column, cast: 'boolean' };
    case 'date':
      return { sql: column, cast: 'date' };
    case 'datetime':
      return { sql: column, cast: 'timestamptz' };
    case 'text':
    case 'list':
    case 'none':
      return { sql: column, cast: 'text' };
  }
}

/**
 * A field's column, qualified by the table alias `r`: the select list has output columns of the
 * same names (`amount::float8 AS amount`, `to_char(updated_at …) AS updated_at`), and an
 * unqualified name in ORDER BY would sort by those outputs instead of the indexed columns.
 */
function columnsOf_(name: string): string {
  return `r.${snakeCase(name)}`;
}

class SqlBuilder {
  readonly params: unknown[] = [];
  param(value: unknown, cast?: string): string {
    this.params.push(value);
    return cast ? `$${this.params.length}::${cast}` : `$${this.params.length}`;
  }
}

function filterSql(filter: Filter, sql: SqlBuilder): string {
  const { ref, op, values } = filter;
  const { sql: expr, cast } = expressionOf(ref);
  const first = values[0];
  if (op === 'exists') {
    const exists = first === true;
    if (ref.source === 'custom')
      return `${exists ? '' : 'NOT '}(custom_fields ? ${sql.param(ref.definition.key)})`;
    return `${expr} IS ${exists ? 'NOT ' : ''}NULL`;
  }
  if (op === 'contains') {
    if (ref.source === 'custom') return `(${expr} ? ${sql.param(String(first))})`;
    if (ref.source === 'column' && ref.kind.kind === 'targets')
      return `${expr} @> jsonb_build_array(jsonb_build_object('id', ${sql.param(String(first))}::text))`;
    if (ref.source === 'column' && ref.kind.kind === 'datetimes')
      return `${sql.param(String(first), 'timestamptz')} = ANY(${expr})`;
    return `${expr} @> ARRAY[${sql.param(String(first))}::text]`;
  }
  // Equality on a custom field uses the GIN index (custom_fields @> {"key": value}).
  if (op === 'eq' && ref.source === 'custom' && ref.definition.type !== 'currency')
    return `custom_fields @> ${sql.param(JSON.stringify({ [ref.definition.key]: first }), 'jsonb')}`;
  if (op === 'in') return `${expr} = ANY(${sql.param(values, `${cast}[]`)})`;
  const operator = { eq: '=', ne: 'IS DISTINCT FROM', gt: '>', gte: '>=', lt: '<', lte: '<=' }[op];
  return `${expr} ${operator} ${sql.param(first, cast)}`;
}

/** Reads of the read models: one record, or a filtered, sorted, searched, paged list. */
export class PostgresRecordQueries {
  constructor(private readonly postgres: DataSource) {}

  /** The view `get` returns for this state (same fields, same JSON forms). */
  fromState(state: RecordState): RecordView {
    const view: Record<string, unknown> = { id: state.id };
    for (const { field } of columnsOf(state.type)) {
      const value = state.fields[field.name];
      if (value !== null && value !== undefined) view[field.name] = value;
    }
    return {
      ...view,
      id: state.id,
      customFields: state.customFields,
      archived: state.archived,
      version: state.version,
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
    };
  }

  async get(workspaceId: string, type: AggregateType, id: string): Promise<RecordView | undefined> {
    const rows = await this.postgres.query<Record<string, unknown>[]>(
      `SELECT ${selectList(type)} FROM ${tableOf(type)} WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id],
    );
    return rows[0] ? toView(type, rows[0]) : undefined;
  }

  async list(
    workspaceId: string,
    type: AggregateType,
    plan: ListPlan,
  ): Promise<{ data: RecordView[]; nextCursor: string | null }> {
    const sql = new SqlBuilder();
    const where = [`workspace_id = ${sql.param(workspaceId)}`];
    if (plan.archived !== 'all') where.push(plan.archived === 'true' ? 'archived' : 'NOT archived');
    if (plan.search !== undefined)
      where.push(`search @@ to_tsquery('simple', ${sql.param(plan.search)})`);
    for (const filter of plan.filters) where.push(filterSql(filter, sql));
    const { sql: sortExpr, cast } = expressionOf(plan.sort.ref);
    const nullable = plan.sort.ref.source !== 'system';
    const direction = plan.sort.descending ? 'DESC' : 'ASC';
    const beyond = plan.sort.descending ? '<' : '>';
    // Postgres' default null order (ASC NULLS LAST, DESC NULLS FIRST) is the order of a forward
    // or backward scan of a (workspace_id, [filter column,] sort column, id) index, so a sorted
    // page is an ordered index range rather than a sort of every match.
    if (plan.cursor) {
      const id = sql.param(plan.cursor.id);
      const value = plan.cursor.value;
      if (!nullable) where.push(`(${sortExpr}, id) ${beyond} (${sql.param(value, cast)}, ${id})`);
      else if (!plan.sort.descending)
        where.push(
          value === null
            ? `(${sortExpr} IS NULL AND id > ${id})`
            : `(${sortExpr} > ${sql.param(value, cast)} OR (${sortExpr} = ${sql.param(value, cast)} AND id > ${id}) OR ${sortExpr} IS NULL)`,
        );
      else
        where.push(
          value === null
            ? `((${sortExpr} IS NULL AND id < ${id}) OR ${sortExpr} IS NOT NULL)`
            : `(${sortExpr} < ${sql.param(value, cast)} OR (${sortExpr} = ${sql.param(value, cast)} AND id < ${id}))`,
        );
    }
    const rows = await this.postgres.query<Record<string, unknown>[]>(
      `SELECT ${selectList(type)}, ${sortSelect(sortExpr, cast)} AS sort_key
       FROM ${tableOf(type)} AS r WHERE ${where.join(' AND ')}
       ORDER BY ${sortExpr} ${direction}, id ${direction}
       LIMIT ${plan.limit + 1}`,
      sql.params,
    );
    const page = rows.slice(0, plan.limit);
    const last = page.at(-1);
    const nextCursor =
      rows.length > plan.limit && last
        ? encodeCursor(last.sort_key as string | number | boolean | null, String(last.id))
        : null;
    return { data: page.map((row) => toView(type, row)), nextCursor };
  }
}

/** The sort key as a value a cursor can carry exactly (timestamps with microseconds). */
function sortSelect(expr: string, cast: string): string {
  switch (cast) {
    case 'timestamptz':
      return `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
    case 'date':
      return `to_char(${expr}, 'YYYY-MM-DD')`;
    case 'numeric':
      return `${expr}::text`;
    default:
      return expr;
  }
}
