import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse, type CsvError } from 'csv-parse';
import { DomainError } from '@cdp/contracts';
import { compileCsvMapping, csvRecordToEvent, type CsvPlan } from '../domain/csv-mapping';
import type { CsvMappingSpec, FieldError } from '../domain/import-job';
import { isBlankLine, parseNdjsonLine } from '../domain/ndjson-row';
import { withImportMessageId } from '../domain/row-identity';
import { splitLines } from './ndjson-lines';

/** One data row of a file: a raw event for the collector, or why it cannot be one. */
export type ImportRow =
  | { readonly line: number; readonly event: Record<string, unknown> }
  | { readonly line: number; readonly errors: readonly FieldError[] };

export interface RowReaderOptions {
  readonly sourceId: string;
  /** Rows on lines ≤ skipLines are read but not sent (resuming); the CSV header is always read. */
  readonly skipLines: number;
  readonly maxLineBytes: number;
  /** Stops the upload past this many bytes, compressed or not (413). */
  readonly maxBytes: number;
  /** Told how many bytes of the upload were read so far. */
  readonly onBytes?: (total: number) => void;
}

/**
 * Counts the upload and stops it past `maxBytes`, then gunzips it when it starts with the gzip
 * magic bytes (so it works whatever Content-Encoding said, and whether or not a proxy or hook
 * already decompressed it).
 */
export async function* uploadBytes(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  options: Pick<RowReaderOptions, 'maxBytes' | 'onBytes'>,
): AsyncGenerator<Buffer> {
  let total = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of body) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
      total += buffer.length;
      if (total > options.maxBytes) throw tooLarge(options.maxBytes);
      options.onBytes?.(total);
      yield buffer;
    }
  }
  const source = counted();
  const first = await source.next();
  if (first.done) return;
  const gzipped = first.value[0] === 0x1f && first.value[1] === 0x8b;
  async function* all(): AsyncGenerator<Buffer> {
    yield first.value as Buffer;
    yield* source;
  }
  if (!gzipped) {
    yield* all();
    return;
  }
  let inflated = 0;
  for await (const chunk of Readable.from(all()).pipe(createGunzip()) as AsyncIterable<Buffer>) {
    inflated += chunk.length;
    if (inflated > options.maxBytes) throw tooLarge(options.maxBytes);
    yield chunk;
  }
}

function tooLarge(maxBytes: number): DomainError {
  return new DomainError(
    'too_large',
    'import.too_large',
    `the file is larger than the import limit of ${maxBytes} bytes`,
    { maxBytes },
  );
}

/** NDJSON: one event per line; blank lines are skipped, line numbers count every line. */
export async function* ndjsonRows(
  bytes: AsyncIterable<Buffer>,
  options: RowReaderOptions,
): AsyncGenerator<ImportRow> {
  for await (const item of splitLines(bytes, options.maxLineBytes)) {
    if (item.line <= options.skipLines) continue;
    if ('tooLong' in item) {
      yield {
        line: item.line,
        errors: [
          {
            field: '(line)',
            message: `line of ${item.bytes} bytes exceeds ${options.maxLineBytes}`,
          },
        ],
      };
      continue;
    }
    if (isBlankLine(item.text)) continue;
    const parsed = parseNdjsonLine(item.text);
    yield 'errors' in parsed
      ? { line: item.line, errors: parsed.errors }
      : {
          line: item.line,
          event: withImportMessageId(parsed.event, options.sourceId, item.line, item.text),
        };
  }
}

interface CsvRecordWithInfo {
  record: string[];
  info: { lines: number; empty_lines: number; error?: { message: string } };
}

/**
 * CSV: the header row names the columns, the mapping says where they go. A malformed record
 * (unbalanced quote, wrong column count) is a rejected row, never the end of the import.
 * A record may span lines (quoted newlines): it is numbered by its first line.
 */
export async function* csvRows(
  bytes: AsyncIterable<Buffer>,
  mapping: CsvMappingSpec | null,
  options: RowReaderOptions,
): AsyncGenerator<ImportRow> {
  const parser = Readable.from(bytes).pipe(
    parse({
      bom: true,
      info: true,
      delimiter: mapping?.delimiter ?? ',',
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: options.maxLineBytes,
    }),
  );
  const skipped: ImportRow[] = [];
  parser.on('skip', (error: CsvError & { lines?: number }) => {
    skipped.push({
      line: error.lines ?? 0,
      errors: [{ field: '(row)', message: `malformed CSV: ${error.message}` }],
    });
  });
  let plan: CsvPlan | undefined;
  let previousEnd = 0;
  let previousEmpty = 0;
  for await (const item of parser as AsyncIterable<CsvRecordWithInfo>) {
    while (skipped.length > 0) {
      const row = skipped.shift() as ImportRow;
      if (row.line > options.skipLines) yield row;
    }
    const { record, info } = item;
    const line = previousEnd + 1 + (info.empty_lines - previousEmpty);
    previousEnd = info.lines;
    previousEmpty = info.empty_lines;
    if (plan === undefined) {
      const compiled = compileCsvMapping(record, mapping ?? {});
      if (!compiled.ok)
        throw new DomainError(
          'invalid',
          'import.mapping_invalid',
          `the mapping does not fit the header row: ${compiled.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
          { issues: compiled.errors },
        );
      plan = compiled.value;
      continue;
    }
    if (line <= options.skipLines) continue;
    if (info.error) {
      yield {
        line,
        errors: [
          {
            field: '(row)',
            message: `expected ${plan.header.length} columns, got ${record.length}`,
          },
        ],
      };
      continue;
    }
    const converted = csvRecordToEvent(plan, record);
    yield 'errors' in converted
      ? { line, errors: converted.errors }
      : {
          line,
          event: withImportMessageId(
            converted.event,
            options.sourceId,
            line,
            JSON.stringify(record),
          ),
        };
  }
  for (const row of skipped) if (row.line > options.skipLines) yield row;
  if (plan === undefined)
    throw new DomainError('invalid', 'import.empty_file', 'the CSV file has no header row');
}
