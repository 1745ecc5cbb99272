/** A bulk import: one file of one source, read as a stream, each row sent through the collector. */
export const IMPORT_FORMATS = ['csv', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const IMPORT_STATUSES = ['queued', 'running', 'completed', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** Why one field of a row was refused (same shape as the collector's rejections). */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** A refused row: its 1-based line in the file (the CSV header is line 1) and why. */
export interface RowRejection {
  readonly line: number;
  readonly reasons: readonly FieldError[];
}

export interface ImportJobError {
  readonly code: string;
  readonly message: string;
  /** The client resumes after this line (`skipLines`): every row up to it was accepted or rejected. */
  readonly resumeAfterLine: number;
}

export interface ImportJob {
  readonly id: string;
  readonly workspaceId: string;
  readonly sourceId: string;
  readonly format: ImportFormat;
  /** CSV mapping spec as given (validated). */
  readonly mapping: CsvMappingSpec | null;
  readonly status: ImportStatus;
  /** Data rows read from the file (skipped lines excluded), counted once processed. */
  readonly rowsRead: number;
  readonly accepted: number;
  readonly rejected: number;
  /** Rejections kept with their reasons (the first N of a job; the counts are always exact). */
  readonly rejectionsStored: number;
  /** Last line of the file whose row is accepted or rejected for good (0 before any). */
  readonly lastLine: number;
  readonly bytesRead: number;
  readonly error: ImportJobError | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly updatedAt: Date;
  readonly finishedAt: Date | null;
}

/** Progress of a running import, persisted every few thousand rows and at the end. */
export interface ImportProgress {
  readonly rowsRead: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejectionsStored: number;
  readonly lastLine: number;
  readonly bytesRead: number;
}

export const SCALAR_VALUE_TYPES = [
  'string',
  'number',
  'integer',
  'boolean',
  'date',
  'json',
] as const;
export type ValueType = (typeof SCALAR_VALUE_TYPES)[number];

/** Where one CSV column goes, and as what type. `null` ignores the column. */
export type ColumnMapping = string | null | { readonly target?: string; readonly type?: ValueType };

/**
 * How CSV columns become event fields. Targets are Segment fields (`userId`, `anonymousId`,
 * `event`, `type`, `timestamp`, `messageId`, `name`, `category`, `groupId`, `previousId`),
 * `email` (traits.email for identify/group, context.traits.email otherwise), or dotted paths
 * under `traits.`, `properties.`, `context.`, `integrations.`.
 */
export interface CsvMappingSpec {
  readonly columns?: Readonly<Record<string, ColumnMapping>>;
  /** Fixed values set on every row (e.g. `{ "type": "identify" }`), by target. */
  readonly constants?: Readonly<Record<string, unknown>>;
  /** Columns not mapped explicitly nor named like a Segment field: `auto` = traits for
   * identify/group, properties otherwise. */
  readonly unmapped?: 'auto' | 'traits' | 'properties' | 'ignore';
  /** Convert untyped cells that look like numbers or booleans. */
  readonly inferTypes?: boolean;
  readonly delimiter?: string;
}
