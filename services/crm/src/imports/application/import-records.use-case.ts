import { DomainError } from '@cdp/contracts';
import { type RecordsService } from '../../records/application/records.service';
import { type Actor } from '../../records/application/record-store.port';
import { normaliseDomain, normaliseEmail } from '../../records/domain/field-values';
import {
  FIELD_SPECS,
  type AggregateType,
  type JsonObject,
  type JsonValue,
} from '../../records/domain/record-types';
import { type CustomFieldDefinition } from '../../records/domain/custom-fields';
import { headerKey, parseCsv } from '../domain/csv';

export type ImportOutcome = 'created' | 'updated' | 'unchanged';

export interface RejectedRow {
  readonly line: number;
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

export interface ImportReport {
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly rejected: readonly RejectedRow[];
  readonly ignoredColumns: readonly string[];
}

export interface BatchItemResult {
  readonly index: number;
  readonly outcome: ImportOutcome | 'rejected';
  readonly id?: string;
  readonly error?: { readonly code: string; readonly message: string; readonly field?: string };
}

/** Looks a record up by what imports deduplicate on. */
export interface DedupLookup {
  /** The oldest live record of `type` whose `field` equals `value`, if any. */
  find(
    workspaceId: string,
    type: AggregateType,
    field: 'email' | 'domain' | 'externalId',
    value: string,
  ): Promise<string | undefined>;
}

export const MAX_IMPORT_ROWS = 50_000;
export const MAX_BATCH_ITEMS = 500;

/** Header aliases beyond the field names themselves. */
const ALIASES: Readonly<Record<string, string>> = {
  emailaddress: 'email',
  mail: 'email',
  phonenumber: 'phone',
  mobile: 'phone',
  givenname: 'firstName',
  surname: 'lastName',
  familyname: 'lastName',
  jobtitle: 'title',
  companyname: 'name',
  website: 'domain',
  url: 'domain',
};

/** Which field each import type deduplicates on. */
const DEDUP_FIELD: Partial<Record<AggregateType, 'email' | 'domain'>> = {
  contact: 'email',
  company: 'domain',
};

/**
 * CSV import (contacts, companies) and batch upsert by external id. Each row/item is its own
 * command with origin `import`: a bad row is reported with its line number and never stops or
 * partially writes another row. Deduplication: a contact whose email (a company whose domain)
 * already exists — in the workspace or earlier in the same file — updates that record instead
 * of creating another.
 */
export class ImportRecordsUseCase {
  constructor(
    private readonly records: RecordsService<{ readonly version: number }>,
    private readonly lookup: DedupLookup,
  ) {}

  async importCsv(
    workspaceId: string,
    type: 'contact' | 'company',
    csv: string,
    actor: Actor,
  ): Promise<ImportReport> {
    const parsed = parseCsv(csv);
    if (!parsed.ok)
      throw new DomainError(
        'invalid',
        'import.invalid_csv',
        `line ${parsed.line}: ${parsed.message}`,
        {
          line: parsed.line,
        },
      );
    const [header, ...rows] = parsed.rows;
    if (!header) throw new DomainError('invalid', 'import.empty', 'the file has no header row');
    if (rows.length > MAX_IMPORT_ROWS)
      throw new DomainError(
        'too_large',
        'import.too_many_rows',
        `at most ${MAX_IMPORT_ROWS} rows per import`,
      );
    const definitions = (await this.records.inputs.customFields(workspaceId)).filter(
      (d) => d.objectType === type,
    );
    const { columns, ignored } = mapColumns(type, header.cells, definitions);
    if (!columns.some((c) => c !== undefined))
      throw new DomainError('invalid', 'import.no_known_columns', 'no column names a field', {
        columns: header.cells,
      });
    const seen = new Map<string, string>();
    const report = { rows: rows.length, created: 0, updated: 0, unchanged: 0 };
    const rejected: RejectedRow[] = [];
    for (const row of rows) {
      try {
        const { fields, customFields } = rowValues(type, columns, row.cells, definitions);
        const outcome = await this.upsert(workspaceId, type, fields, customFields, actor, seen);
        report[outcome.outcome]++;
      } catch (error) {
        if (!(error instanceof DomainError) || error.kind === 'unavailable') throw error;
        const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
        rejected.push({
          line: row.line,
          code: error.code,
          message: error.message,
          ...(field ? { field } : {}),
        });
      }
    }
    return { ...report, rejected, ignoredColumns: ignored };
  }

  /** Upserts items by externalId (required): created, updated or unchanged per item. */
  async batchUpsert(
    workspaceId: string,
    type: AggregateType,
    items: readonly JsonObject[],
    actor: Actor,
  ): Promise<BatchItemResult[]> {
    if (items.length > MAX_BATCH_ITEMS)
      throw new DomainError(
        'too_large',
        'import.too_many_items',
        `at most ${MAX_BATCH_ITEMS} items per batch`,
      );
    const results: BatchItemResult[] = [];
    for (const [index, item] of items.entries()) {
      try {
        const { customFields, expectedVersion: _ignored, ...fields } = item;
        const externalId = fields.externalId;
        if (typeof externalId !== 'string' || externalId.trim().length === 0)
          throw new DomainError('invalid', 'crm.invalid_field', 'externalId: required to upsert', {
            field: 'externalId',
          });
        const custom =
          customFields && typeof customFields === 'object' && !Array.isArray(customFields)
            ? (customFields as JsonObject)
            : {};
        const result = await this.upsertByExternalId(
          workspaceId,
          type,
          externalId.trim(),
          fields,
          custom,
          actor,
        );
        results.push({ index, ...result });
      } catch (error) {
        if (!(error instanceof DomainError) || error.kind === 'unavailable') throw error;
        const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
        results.push({
          index,
          outcome: 'rejected',
          error: { code: error.code, message: error.message, ...(field ? { field } : {}) },
        });
      }
    }
    return results;
  }

  private async upsertByExternalId(
    workspaceId: string,
    type: AggregateType,
    externalId: string,
    fields: JsonObject,
    customFields: JsonObject,
    actor: Actor,
  ): Promise<{ outcome: ImportOutcome; id: string }> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.lookup.find(workspaceId, type, 'externalId', externalId);
      try {
        if (existing)
          return await this.updateExisting(
            workspaceId,
            type,
            existing,
            fields,
            customFields,
            actor,
          );
        const result = await this.records.execute({
          workspaceId,
          type,
          command: {
            kind: 'create',
            fields: { ...fields, externalId },
            customFields,
            origin: 'import',
          },
          actor,
        });
        return { outcome: 'created', id: result.state.id };
      } catch (error) {
        // Another writer created the same external id between the lookup and the append.
        if (!existing && error instanceof DomainError && error.code === 'crm.external_id_taken')
          continue;
        throw error;
      }
    }
    throw new DomainError(
      'conflict',
      'crm.external_id_taken',
      `externalId ${externalId} is being written concurrently`,
    );
  }

  /**
   * An upsert of an existing record: the fields set at creation only (a deal's pipeline, an
   * activity's kind) are left as they are, and a deal whose `stageId` differs is moved by the
   * stage command (with its rules: a close reason for won/lost), so an external system can
   * re-send its whole record.
   */
  private async updateExisting(
    workspaceId: string,
    type: AggregateType,
    id: string,
    fields: JsonObject,
    customFields: JsonObject,
    actor: Actor,
  ): Promise<{ outcome: ImportOutcome; id: string }> {
    const createOnly = new Set(
      FIELD_SPECS[type].filter((f) => f.write === 'create').map((f) => f.name),
    );
    const updatable = Object.fromEntries(
      Object.entries(fields).filter(([k]) => !createOnly.has(k)),
    );
    const updated = await this.records.execute({
      workspaceId,
      type,
      id,
      command: { kind: 'update', fields: updatable, customFields, origin: 'import' },
      actor,
    });
    let changed = updated.events.length > 0;
    if (type === 'deal' && typeof fields.stageId === 'string') {
      const moved = await this.records.execute({
        workspaceId,
        type,
        id,
        command: {
          kind: 'move_stage',
          toStageId: fields.stageId,
          ...(typeof fields.closeReason === 'string' ? { closeReason: fields.closeReason } : {}),
          origin: 'import',
        },
        actor,
      });
      changed ||= moved.events.length > 0;
    }
    return { outcome: changed ? 'updated' : 'unchanged', id };
  }

  private async upsert(
    workspaceId: string,
    type: 'contact' | 'company',
    fields: Record<string, JsonValue>,
    customFields: Record<string, JsonValue>,
    actor: Actor,
    seen: Map<string, string>,
  ): Promise<{ outcome: ImportOutcome; id: string }> {
    const dedupField = DEDUP_FIELD[type];
    const raw = dedupField ? fields[dedupField] : undefined;
    const key =
      typeof raw === 'string' && raw.trim().length > 0
        ? dedupField === 'email'
          ? normaliseEmail(raw)
          : normaliseDomain(raw)
        : undefined;
    const existing =
      key === undefined || dedupField === undefined
        ? undefined
        : (seen.get(key) ?? (await this.lookup.find(workspaceId, type, dedupField, key)));
    const result = await this.records.execute({
      workspaceId,
      type,
      ...(existing ? { id: existing } : {}),
      command: { kind: existing ? 'update' : 'create', fields, customFields, origin: 'import' },
      actor,
    });
    if (key !== undefined) seen.set(key, result.state.id);
    if (!existing) return { outcome: 'created', id: result.state.id };
    return { outcome: result.events.length > 0 ? 'updated' : 'unchanged', id: result.state.id };
  }
}

type Column =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'custom'; readonly definition: CustomFieldDefinition }
  | undefined;

function mapColumns(
  type: AggregateType,
  headers: readonly string[],
  definitions: readonly CustomFieldDefinition[],
): { columns: Column[]; ignored: string[] } {
  const fields = FIELD_SPECS[type].filter((f) => f.write === 'input');
  const ignored: string[] = [];
  const used = new Set<string>();
  const columns = headers.map((header): Column => {
    const key = headerKey(header);
    const custom =
      definitions.find(
        (d) =>
          headerKey(d.key) === key.replace(/^cf/, '') &&
          header.trim().toLowerCase().startsWith('cf.'),
      ) ?? definitions.find((d) => headerKey(d.key) === key || headerKey(d.label) === key);
    const alias = ALIASES[key];
    const field = fields.find(
      (f) => headerKey(f.name) === key || (alias !== undefined && f.name === alias),
    );
    let column: Column;
    if (field) column = { kind: 'field', name: field.name };
    else if (custom) column = { kind: 'custom', definition: custom };
    const id =
      column?.kind === 'field' ? column.name : column ? `cf.${column.definition.key}` : undefined;
    if (!column || id === undefined || used.has(id)) {
      ignored.push(header);
      return undefined;
    }
    used.add(id);
    return column;
  });
  return { columns, ignored };
}

/** A CSV cell as the JSON value its field expects (empty cells are left out). */
function cellValue(kind: string, text: string, where: string): JsonValue {
  switch (kind) {
    case 'number':
    case 'integer':
    case 'currency': {
      const n = Number(text.replace(/[\s_]/g, ''));
      if (!Number.isFinite(n))
        throw new DomainError('invalid', 'crm.invalid_field', `${where}: expected a number`, {
          field: where,
        });
      return n;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (['true', 'yes', '1'].includes(t)) return true;
      if (['false', 'no', '0'].includes(t)) return false;
      throw new DomainError('invalid', 'crm.invalid_field', `${where}: expected true or false`, {
        field: where,
      });
    }
    case 'refs':
    case 'multi_enum':
      return text
        .split(/[;|]/)
        .map((s) => s.trim())
        .filter(Boolean);
    default:
      return text;
  }
}

function rowValues(
  type: AggregateType,
  columns: readonly Column[],
  cells: readonly string[],
  _definitions: readonly CustomFieldDefinition[],
): { fields: Record<string, JsonValue>; customFields: Record<string, JsonValue> } {
  const fields: Record<string, JsonValue> = {};
  const customFields: Record<string, JsonValue> = {};
  columns.forEach((column, i) => {
    const text = (cells[i] ?? '').trim();
    if (!column || text.length === 0) return;
    if (column.kind === 'field') {
      const spec = FIELD_SPECS[type].find((f) => f.name === column.name);
      fields[column.name] = cellValue(spec?.type.kind ?? 'text', text, column.name);
    } else
      customFields[column.definition.key] = cellValue(
        column.definition.type,
        text,
        `customFields.${column.definition.key}`,
      );
  });
  return { fields, customFields };
}
