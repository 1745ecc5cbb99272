import { type RecordState } from '../domain/crm-record';
import {
  COLLECTION,
  FIELD_SPECS,
  type AggregateType,
  type FieldKind,
  type FieldSpec,
} from '../domain/record-types';

/**
 * How a record's state maps to its read-model table (`crm.<collection>`): one typed column per
 * field (snake_case), plus the columns every table has. The projection writes the whole row
 * from the state, so a rebuilt row equals a live one by construction.
 */

export interface ColumnSpec {
  readonly field: FieldSpec;
  readonly column: string;
  readonly sqlType: string;
}

export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function tableOf(type: AggregateType): string {
  return `crm.${COLLECTION[type]}`;
}

export function sqlTypeOf(kind: FieldKind): string {
  switch (kind.kind) {
    case 'text':
    case 'email':
    case 'phone':
    case 'domain':
    case 'currency_code':
    case 'enum':
    case 'ref':
      return 'text';
    case 'number':
      return 'numeric';
    case 'integer':
      return 'bigint';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamptz';
    case 'refs':
      return 'text[]';
    case 'datetimes':
      return 'timestamptz[]';
    case 'targets':
    case 'stages':
      return 'jsonb';
  }
}

const COLUMNS = new Map<AggregateType, readonly ColumnSpec[]>(
  (Object.keys(FIELD_SPECS) as AggregateType[]).map((type) => [
    type,
    FIELD_SPECS[type].map((field) => ({
      field,
      column: snakeCase(field.name),
      sqlType: sqlTypeOf(field.type),
    })),
  ]),
);

export function columnsOf(type: AggregateType): readonly ColumnSpec[] {
  return COLUMNS.get(type) ?? [];
}

/** Columns every read-model table has, before the field columns. */
export const COMMON_COLUMNS = [
  'workspace_id',
  'id',
  'version',
  'custom_fields',
  'archived',
  'created_at',
  'updated_at',
] as const;

/** The row values of a state, in `COMMON_COLUMNS` + `columnsOf(type)` order. */
export function rowValues(workspaceId: string, state: RecordState): unknown[] {
  const values: unknown[] = [
    workspaceId,
    state.id,
    state.version,
    JSON.stringify(state.customFields),
    state.archived,
    state.createdAt,
    state.updatedAt,
  ];
  for (const { field, sqlType } of columnsOf(state.type)) {
    const value = state.fields[field.name];
    if (value === undefined || value === null) values.push(null);
    else if (sqlType === 'jsonb') values.push(JSON.stringify(value));
    else values.push(value);
  }
  return values;
}

/**
 * `INSERT … ON CONFLICT DO UPDATE` of a full row; an older version never overwrites a newer.
 * Parameters are numbered from `first` (the append statement puts other parameters after).
 */
export function upsertSql(type: AggregateType, first = 1): string {
  const columns = [...COMMON_COLUMNS, ...columnsOf(type).map((c) => c.column)];
  const casts = [
    'text',
    'text',
    'integer',
    'jsonb',
    'boolean',
    'timestamptz',
    'timestamptz',
    ...columnsOf(type).map((c) => c.sqlType),
  ];
  const placeholders = columns.map((_c, i) => `$${i + first}::${casts[i] ?? 'text'}`);
  const updates = columns
    .filter((c) => c !== 'workspace_id' && c !== 'id')
    .map((c) => `${c} = EXCLUDED.${c}`);
  const table = tableOf(type);
  return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${placeholders.join(', ')})
    ON CONFLICT (workspace_id, id) DO UPDATE SET ${updates.join(', ')}
    WHERE ${table}.version < EXCLUDED.version`;
}

/** The SQL expression of the full-text document (a generated column). */
function searchExpression(type: AggregateType): string {
  const parts = columnsOf(type)
    .filter((c) => c.field.searchable)
    .map(({ column, field }) =>
      // Emails and domains also as words: "ivanov" finds ivanov@mail.example.
      field.type.kind === 'email' || field.type.kind === 'domain'
        ? `coalesce(${column}, '') || ' ' || translate(coalesce(${column}, ''), '@.-_', '    ')`
        : `coalesce(${column}, '')`,
    );
  return `to_tsvector('simple'::regconfig, ${parts.join(` || ' ' || `)})`;
}

/**
 * Columns worth an index: lookups, filters and associations. Equality columns are indexed as
 * (workspace_id, column, updated_at, id): "filter by owner/stage/status, newest first" (the
 * default sort) is then an ordered index range, and keyset pages continue from it.
 */
function indexed(spec: ColumnSpec): 'equality' | 'range' | undefined {
  const kind = spec.field.type.kind;
  if (kind === 'ref' || kind === 'email' || kind === 'domain' || kind === 'enum') return 'equality';
  if (
    ['lastName', 'amount', 'dueAt', 'slaDueAt', 'closedAt', 'occurredAt'].includes(spec.field.name)
  )
    return 'range';
  return undefined;
}

/** Composite indexes of the common list pages and the reports. */
const EXTRA_INDEXES: Partial<Record<AggregateType, readonly string[]>> = {
  // Deals of a stage by value ("negotiation, biggest first").
  deal: ['stage_id, amount, id', 'pipeline_id, stage_kind, closed_at'],
  task: ['assignee_id, status, due_at, id'],
  ticket: ['status, sla_due_at, id'],
};

/**
 * DDL of a read-model table. Used to write the migration (the migration holds the SQL as text:
 * a landed migration never changes when FIELD_SPECS does; a new field gets a new migration, and
 * an integration test checks that the migrated tables have every FIELD_SPECS column).
 */
export function readModelDdl(type: AggregateType): string[] {
  const table = tableOf(type);
  const name = COLLECTION[type];
  const columns = columnsOf(type);
  const statements = [
    `CREATE TABLE ${table} (
      workspace_id text NOT NULL,
      id text NOT NULL,
      version integer NOT NULL,
      custom_fields jsonb NOT NULL DEFAULT '{}',
      archived boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
${columns.map((c) => `      ${c.column} ${c.sqlType},`).join('\n')}
      search tsvector GENERATED ALWAYS AS (${searchExpression(type)}) STORED,
      PRIMARY KEY (workspace_id, id)
    )`,
    `CREATE INDEX ${name}_updated ON ${table} (workspace_id, updated_at, id)`,
    `CREATE INDEX ${name}_created ON ${table} (workspace_id, created_at, id)`,
    `CREATE INDEX ${name}_search ON ${table} USING gin (search)`,
    `CREATE INDEX ${name}_custom ON ${table} USING gin (custom_fields jsonb_path_ops)`,
  ];
  for (const column of columns) {
    if (column.field.name === 'externalId')
      statements.push(
        `CREATE UNIQUE INDEX ${name}_external_id ON ${table} (workspace_id, external_id) WHERE external_id IS NOT NULL`,
      );
    else if (column.sqlType === 'text[]')
      statements.push(
        `CREATE INDEX ${name}_${column.column} ON ${table} USING gin (${column.column})`,
      );
    else if (column.field.type.kind === 'targets')
      statements.push(
        `CREATE INDEX ${name}_${column.column} ON ${table} USING gin (${column.column} jsonb_path_ops)`,
      );
    else if (indexed(column) === 'equality')
      statements.push(
        `CREATE INDEX ${name}_${column.column} ON ${table} (workspace_id, ${column.column}, updated_at, id)`,
      );
    else if (indexed(column) === 'range')
      statements.push(
        `CREATE INDEX ${name}_${column.column} ON ${table} (workspace_id, ${column.column}, id)`,
      );
  }
  (EXTRA_INDEXES[type] ?? []).forEach((columns, i) =>
    statements.push(`CREATE INDEX ${name}_list_${i + 1} ON ${table} (workspace_id, ${columns})`),
  );
  return statements;
}
