import { Inject, Injectable, Optional } from '@nestjs/common';
import { DomainError } from '@cdp/contracts';
import { createLogger } from '@cdp/observability';
import {
  EVENT_COLLECTOR,
  type EventCollector,
} from '../../collection/application/event-collector.port';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config/ingestion.env';
import type { VerifiedWriteKey } from '../../sources/application/write-key-verifier.port';
import type { ImportJob, ImportJobError, RowRejection } from '../domain/import-job';
import { IMPORT_JOB_REPOSITORY, type ImportJobRepository } from './import-job.repository.port';
import { csvRows, ndjsonRows, uploadBytes, type ImportRow } from './import-rows';

const log = createLogger('ingestion.imports');

export interface RunImportCommand {
  readonly workspaceId: string;
  readonly jobId: string;
  /** The file, as it arrives (never buffered whole). */
  readonly body: AsyncIterable<Buffer | Uint8Array | string>;
  /** Rows on lines ≤ this are not sent. Default: 0, or where a failed job stopped. */
  readonly skipLines?: number;
}

/**
 * Streams a file into a job: rows are read as they arrive, sent through the collector (the same
 * pipeline as HTTP collection) in chunks, and counted; bad rows are recorded with their line and
 * never stop the job. Reading waits while a chunk is collected, so the upload is paced by the
 * collector (TCP backpressure) and memory holds one chunk. A collector failure (NATS down) fails
 * the job with the last line done, from which the client resumes with `skipLines`.
 */
@Injectable()
export class RunImportUseCase {
  constructor(
    @Inject(IMPORT_JOB_REPOSITORY) private readonly jobs: ImportJobRepository,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    @Optional() @Inject(EVENT_COLLECTOR) private readonly collector?: EventCollector,
  ) {}

  async execute(command: RunImportCommand): Promise<ImportJob> {
    const existing = await this.jobs.find(command.workspaceId, command.jobId);
    if (!existing)
      throw new DomainError('not_found', 'import.not_found', `import ${command.jobId} not found`);
    if (existing.status === 'completed')
      throw new DomainError('conflict', 'import.completed', 'this import is already completed', {
        jobId: existing.id,
      });
    const collector = this.collector;
    if (!collector)
      throw new DomainError(
        'unavailable',
        'import.collector_unavailable',
        'event collection is not available in this process',
        undefined,
        5,
      );
    const job = await this.jobs.start(
      command.workspaceId,
      command.jobId,
      this.config.IMPORT_STALE_AFTER_MS,
    );
    if (!job)
      throw new DomainError('conflict', 'import.running', 'this import is already running', {
        jobId: command.jobId,
      });
    const skipLines = command.skipLines ?? (existing.status === 'failed' ? existing.lastLine : 0);
    return this.process(job, collector, command.body, skipLines);
  }

  private async process(
    job: ImportJob,
    collector: EventCollector,
    body: RunImportCommand['body'],
    skipLines: number,
  ): Promise<ImportJob> {
    const config = this.config;
    const progress = {
      rowsRead: job.rowsRead,
      accepted: job.accepted,
      rejected: job.rejected,
      rejectionsStored: job.rejectionsStored,
      lastLine: Math.max(job.lastLine, skipLines),
      bytesRead: 0,
    };
    let pendingRejections: RowRejection[] = [];
    let rowsSinceSave = 0;
    let saving: Promise<void> = Promise.resolve();
    // Saves run one after another; each writes the progress and rejections of its moment.
    const save = (): Promise<void> => {
      const rejections = pendingRejections;
      const snapshot = { ...progress };
      pendingRejections = [];
      rowsSinceSave = 0;
      saving = saving.then(() =>
        this.jobs.saveProgress(job.workspaceId, job.id, snapshot, rejections),
      );
      return saving;
    };
    // Progress also lands while the upload stalls (a slow client), not only when rows flow.
    const ticker = setInterval(() => {
      if (rowsSinceSave > 0)
        save().catch((error: unknown) => {
          log.warn({ err: error, jobId: job.id }, 'import progress not saved');
        });
    }, config.IMPORT_PROGRESS_INTERVAL_MS);
    ticker.unref();
    const reject = (line: number, reasons: RowRejection['reasons']) => {
      progress.rejected++;
      if (progress.rejectionsStored < config.IMPORT_MAX_STORED_REJECTIONS) {
        progress.rejectionsStored++;
        pendingRejections.push({ line, reasons });
      }
    };
    const source: VerifiedWriteKey = {
      workspaceId: job.workspaceId,
      sourceId: job.sourceId,
      writeKeyId: `import:${job.id}`,
      sourceKind: 'import',
    };
    const collectChunk = async (rows: readonly ImportRow[]) => {
      const events: Record<string, unknown>[] = [];
      const lines: number[] = [];
      for (const row of rows) {
        if ('event' in row) {
          events.push(row.event);
          lines.push(row.line);
        }
      }
      const result =
        events.length > 0
          ? await collector.collect(source, events, { receivedAt: new Date() })
          : { accepted: [], rejected: [] };
      const refused = new Map(result.rejected.map((r) => [r.index, r.errors]));
      let index = 0;
      for (const row of rows) {
        if ('event' in row) {
          const errors = refused.get(index++);
          if (errors) reject(row.line, errors);
          else progress.accepted++;
        } else {
          reject(row.line, row.errors);
        }
        progress.rowsRead++;
        progress.lastLine = row.line;
      }
      rowsSinceSave += rows.length;
      if (rowsSinceSave >= config.IMPORT_PROGRESS_EVERY_ROWS) await save();
    };

    const readerOptions = {
      sourceId: job.sourceId,
      skipLines,
      maxLineBytes: config.IMPORT_MAX_LINE_BYTES,
      maxBytes: config.IMPORT_MAX_BYTES,
      onBytes: (total: number) => {
        progress.bytesRead = total;
      },
    };
    const bytes = uploadBytes(body, readerOptions);
    const rows =
      job.format === 'csv'
        ? csvRows(bytes, job.mapping, readerOptions)
        : ndjsonRows(bytes, readerOptions);
    let chunk: ImportRow[] = [];
    try {
      for await (const row of rows) {
        chunk.push(row);
        if (chunk.length >= config.IMPORT_CHUNK_ROWS) {
          const full = chunk;
          chunk = [];
          await collectChunk(full);
        }
      }
      if (chunk.length > 0) await collectChunk(chunk);
    } catch (error) {
      clearInterval(ticker);
      const failure = describeFailure(error, progress.lastLine);
      log.warn(
        { jobId: job.id, workspace: job.workspaceId, code: failure.code, line: progress.lastLine },
        'import failed',
      );
      try {
        await saving.catch(() => undefined);
        await save();
      } finally {
        await this.jobs.finish(job.workspaceId, job.id, { status: 'failed', error: failure });
      }
      const details = { jobId: job.id, resumeAfterLine: failure.resumeAfterLine };
      if (error instanceof DomainError)
        throw new DomainError(
          error.kind,
          error.code,
          error.message,
          { ...error.details, ...details },
          error.retryAfterSeconds,
        );
      if (failure.code === 'import.internal') throw error;
      throw new DomainError('invalid', failure.code, failure.message, details);
    }
    clearInterval(ticker);
    await saving.catch(() => undefined);
    await save();
    const done = await this.jobs.finish(job.workspaceId, job.id, { status: 'completed' });
    log.info(
      { jobId: job.id, workspace: job.workspaceId, rows: done.rowsRead, rejected: done.rejected },
      'import completed',
    );
    return done;
  }
}

function describeFailure(error: unknown, lastLine: number): ImportJobError {
  if (error instanceof DomainError)
    return { code: error.code, message: error.message, resumeAfterLine: lastLine };
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('Z_'))
    return {
      code: 'import.bad_gzip',
      message: `invalid gzip data: ${message}`,
      resumeAfterLine: lastLine,
    };
  if (
    message === 'aborted' ||
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'ECONNABORTED'
  )
    return {
      code: 'import.upload_interrupted',
      message: `the upload stopped before its end: ${message}`,
      resumeAfterLine: lastLine,
    };
  return { code: 'import.internal', message: 'internal error', resumeAfterLine: lastLine };
}
