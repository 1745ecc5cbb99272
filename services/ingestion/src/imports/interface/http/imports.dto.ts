import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { z } from 'zod';
import {
  IMPORT_FORMATS,
  IMPORT_STATUSES,
  SCALAR_VALUE_TYPES,
  type CsvMappingSpec,
  type ImportJob,
  type RowRejection,
} from '../../domain/import-job';

const columnMappingSchema = z.union([
  z.string().min(1),
  z.null(),
  z.strictObject({
    target: z.string().min(1).optional(),
    type: z.enum(SCALAR_VALUE_TYPES).optional(),
  }),
]);

/** The CSV mapping spec (targets are checked against the header when the file arrives). */
export const csvMappingSchema = z.strictObject({
  columns: z.record(z.string(), columnMappingSchema).optional(),
  constants: z.record(z.string(), z.json()).optional(),
  unmapped: z.enum(['auto', 'traits', 'properties', 'ignore']).optional(),
  inferTypes: z.boolean().optional(),
  delimiter: z.string().length(1).optional(),
}) satisfies z.ZodType<CsvMappingSpec>;

export const createImportSchema = z.strictObject({
  sourceId: z.string().min(1).max(200),
  format: z.enum(IMPORT_FORMATS),
  mapping: csvMappingSchema.optional(),
});
export type CreateImportBody = z.infer<typeof createImportSchema>;

const nonNegativeInt = z.coerce.number().int().min(0);

/** Query of the one-request upload (`POST /v1/imports` with a CSV/NDJSON body). */
export const uploadQuerySchema = z.object({
  sourceId: z.string().min(1).max(200),
  format: z.enum(IMPORT_FORMATS).optional(),
  /** URL-encoded JSON of the mapping spec. */
  mapping: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return undefined;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'mapping must be URL-encoded JSON' });
        return z.NEVER;
      }
    })
    .pipe(csvMappingSchema.optional()),
  skipLines: nonNegativeInt.optional(),
});
export type UploadQuery = z.infer<typeof uploadQuerySchema>;

export const dataQuerySchema = z.object({ skipLines: nonNegativeInt.optional() });
export type DataQuery = z.infer<typeof dataQuerySchema>;

export const getImportQuerySchema = z.object({
  rejectionsAfterLine: nonNegativeInt.default(0),
  rejectionsLimit: nonNegativeInt.max(1000).default(100),
});
export type GetImportQuery = z.infer<typeof getImportQuerySchema>;

export const listImportsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListImportsQuery = z.infer<typeof listImportsQuerySchema>;

export class CreateImportDto {
  @ApiProperty({ example: 'src_123', description: 'a source of your workspace' })
  sourceId!: string;

  @ApiProperty({ enum: IMPORT_FORMATS })
  format!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'CSV only: `{ columns: { <column>: <target> | null | { target?, type? } }, constants: { <target>: value }, unmapped: auto|traits|properties|ignore, inferTypes, delimiter }`',
    example: {
      columns: { id: 'userId', signup: { target: 'traits.signedUpAt', type: 'date' } },
      constants: { type: 'identify' },
    },
  })
  mapping?: Record<string, unknown>;
}

export class ImportErrorDto {
  @ApiProperty({ example: 'messaging.backpressure' })
  code!: string;

  @ApiProperty()
  message!: string;

  @ApiProperty({ description: 'resume with `skipLines` = this value' })
  resumeAfterLine!: number;
}

export class RowRejectionDto {
  @ApiProperty({ description: '1-based line of the file (the CSV header is line 1)' })
  line!: number;

  @ApiProperty({ example: [{ field: 'userId', message: 'userId or anonymousId is required' }] })
  reasons!: { field: string; message: string }[];
}

export class ImportJobDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  sourceId!: string;

  @ApiProperty({ enum: IMPORT_FORMATS })
  format!: string;

  @ApiProperty({ enum: IMPORT_STATUSES })
  status!: string;

  @ApiProperty({ description: 'data rows read and processed (skipped lines excluded)' })
  rowsRead!: number;

  @ApiProperty()
  accepted!: number;

  @ApiProperty()
  rejected!: number;

  @ApiProperty({ description: 'rejections kept with their reasons (capped; counts stay exact)' })
  rejectionsStored!: number;

  @ApiProperty({ description: 'last line of the file fully processed' })
  lastLine!: number;

  @ApiProperty({ description: 'bytes of the upload read (as sent, possibly gzipped)' })
  bytesRead!: number;

  @ApiPropertyOptional({ type: ImportErrorDto, nullable: true })
  error!: ImportErrorDto | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, nullable: true })
  mapping!: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  startedAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  finishedAt!: string | null;
}

export class ImportJobDetailDto extends ImportJobDto {
  @ApiProperty({ type: RowRejectionDto, isArray: true, description: 'ordered by line' })
  rejections!: RowRejectionDto[];

  @ApiPropertyOptional({
    nullable: true,
    description: 'pass as rejectionsAfterLine for the next page (null: no more)',
  })
  nextRejectionsAfterLine!: number | null;
}

export class ImportJobListDto {
  @ApiProperty({ type: ImportJobDto, isArray: true })
  data!: ImportJobDto[];
}

export function importJobDto(job: ImportJob): ImportJobDto {
  return {
    id: job.id,
    sourceId: job.sourceId,
    format: job.format,
    status: job.status,
    rowsRead: job.rowsRead,
    accepted: job.accepted,
    rejected: job.rejected,
    rejectionsStored: job.rejectionsStored,
    lastLine: job.lastLine,
    bytesRead: job.bytesRead,
    error: job.error,
    mapping: job.mapping as Record<string, unknown> | null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    updatedAt: job.updatedAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

export function importJobDetailDto(
  job: ImportJob,
  rejections: readonly RowRejection[],
  limit: number,
): ImportJobDetailDto {
  const last = rejections[rejections.length - 1];
  return {
    ...importJobDto(job),
    rejections: rejections.map((r) => ({ line: r.line, reasons: [...r.reasons] })),
    nextRejectionsAfterLine: rejections.length === limit && last ? last.line : null,
  };
}
