import type {
  CsvMappingSpec,
  ImportFormat,
  ImportJob,
  ImportJobError,
  ImportProgress,
  RowRejection,
} from '../domain/import-job';

export interface NewImportJob {
  readonly workspaceId: string;
  readonly sourceId: string;
  readonly format: ImportFormat;
  readonly mapping: CsvMappingSpec | null;
}

/** Import jobs and their rejected rows. Every method is scoped by workspace. */
export interface ImportJobRepository {
  create(job: NewImportJob): Promise<ImportJob>;
  find(workspaceId: string, id: string): Promise<ImportJob | null>;
  list(workspaceId: string, limit: number): Promise<ImportJob[]>;
  /**
   * queued|failed → running, atomically (one uploader per job). A job left `running` by a
   * process that died (no progress for `staleAfterMs`) may be taken over. Null when not runnable.
   */
  start(workspaceId: string, id: string, staleAfterMs: number): Promise<ImportJob | null>;
  /** Saves progress and the new rejections (already capped by the caller) in one transaction. */
  saveProgress(
    workspaceId: string,
    id: string,
    progress: ImportProgress,
    rejections: readonly RowRejection[],
  ): Promise<void>;
  finish(
    workspaceId: string,
    id: string,
    outcome: { status: 'completed' } | { status: 'failed'; error: ImportJobError },
  ): Promise<ImportJob>;
  rejections(
    workspaceId: string,
    id: string,
    afterLine: number,
    limit: number,
  ): Promise<RowRejection[]>;
}

export const IMPORT_JOB_REPOSITORY = Symbol.for('cdp.ingestion.import-job-repository');
