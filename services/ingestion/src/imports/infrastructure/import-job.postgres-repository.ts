import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { POSTGRES } from '@cdp/runtime';
import type { ImportJob, ImportJobError, ImportProgress, RowRejection } from '../domain/import-job';
import type { ImportJobRepository, NewImportJob } from '../application/import-job.repository.port';

interface ImportJobRow {
  id: string;
  workspace_id: string;
  source_id: string;
  format: ImportJob['format'];
  mapping: ImportJob['mapping'];
  status: ImportJob['status'];
  rows_read: string;
  accepted: string;
  rejected: string;
  rejections_stored: number;
  last_line: string;
  bytes_read: string;
  error: ImportJobError | null;
  created_at: Date;
  started_at: Date | null;
  updated_at: Date;
  finished_at: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Rows per INSERT of rejections (4 parameters each, well under Postgres' 65535). */
const REJECTION_INSERT_ROWS = 1000;

function toJob(row: ImportJobRow): ImportJob {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    sourceId: row.source_id,
    format: row.format,
    mapping: row.mapping,
    status: row.status,
    rowsRead: Number(row.rows_read),
    accepted: Number(row.accepted),
    rejected: Number(row.rejected),
    rejectionsStored: row.rejections_stored,
    lastLine: Number(row.last_line),
    bytesRead: Number(row.bytes_read),
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** Import jobs in `ingestion.import_jobs` / `import_rejections`, raw SQL, always by workspace. */
@Injectable()
export class ImportJobPostgresRepository implements ImportJobRepository {
  constructor(@Inject(POSTGRES) private readonly db: DataSource) {}

  async create(job: NewImportJob): Promise<ImportJob> {
    const rows: ImportJobRow[] = await this.db.query(
      `INSERT INTO ingestion.import_jobs (id, workspace_id, source_id, format, mapping, status)
       VALUES ($1, $2, $3, $4, $5, 'queued') RETURNING *`,
      [
        randomUUID(),
        job.workspaceId,
        job.sourceId,
        job.format,
        job.mapping === null ? null : JSON.stringify(job.mapping),
      ],
    );
    return toJob(single(rows));
  }

  async find(workspaceId: string, id: string): Promise<ImportJob | null> {
    if (!UUID.test(id)) return null;
    const rows: ImportJobRow[] = await this.db.query(
      `SELECT * FROM ingestion.import_jobs WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, id],
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async list(workspaceId: string, limit: number): Promise<ImportJob[]> {
    const rows: ImportJobRow[] = await this.db.query(
      `SELECT * FROM ingestion.import_jobs WHERE workspace_id = $1
       ORDER BY created_at DESC, id LIMIT $2`,
      [workspaceId, limit],
    );
    return rows.map(toJob);
  }

  async start(workspaceId: string, id: string, staleAfterMs: number): Promise<ImportJob | null> {
    if (!UUID.test(id)) return null;
    const rows = updatedRows<ImportJobRow>(
      await this.db.query(
        `UPDATE ingestion.import_jobs
          SET status = 'running', error = NULL, finished_at = NULL, updated_at = now(),
              started_at = COALESCE(started_at, now())
        WHERE workspace_id = $1 AND id = $2
          AND (status IN ('queued', 'failed')
               OR (status = 'running' AND updated_at < now() - make_interval(secs => $3::double precision / 1000)))
        RETURNING *`,
        [workspaceId, id, staleAfterMs],
      ),
    );
    return rows[0] ? toJob(rows[0]) : null;
  }

  async saveProgress(
    workspaceId: string,
    id: string,
    progress: ImportProgress,
    rejections: readonly RowRejection[],
  ): Promise<void> {
    await this.db.transaction(async (manager) => {
      for (let i = 0; i < rejections.length; i += REJECTION_INSERT_ROWS) {
        const slice = rejections.slice(i, i + REJECTION_INSERT_ROWS);
        const values = slice.map((_, j) => `($1, $${j * 2 + 2}, $${j * 2 + 3})`).join(', ');
        await manager.query(
          `INSERT INTO ingestion.import_rejections (job_id, line, reasons)
           SELECT v.job_id::uuid, v.line::bigint, v.reasons::jsonb
             FROM (VALUES ${values}) AS v (job_id, line, reasons)
            WHERE EXISTS (SELECT 1 FROM ingestion.import_jobs j WHERE j.id = $1::uuid AND j.workspace_id = $${slice.length * 2 + 2})
           ON CONFLICT (job_id, line) DO NOTHING`,
          [id, ...slice.flatMap((r) => [r.line, JSON.stringify(r.reasons)]), workspaceId],
        );
      }
      await manager.query(
        `UPDATE ingestion.import_jobs
            SET rows_read = $3, accepted = $4, rejected = $5, rejections_stored = $6,
                last_line = $7, bytes_read = $8, updated_at = now()
          WHERE workspace_id = $1 AND id = $2`,
        [
          workspaceId,
          id,
          progress.rowsRead,
          progress.accepted,
          progress.rejected,
          progress.rejectionsStored,
          progress.lastLine,
          progress.bytesRead,
        ],
      );
    });
  }

  async finish(
    workspaceId: string,
    id: string,
    outcome: { status: 'completed' } | { status: 'failed'; error: ImportJobError },
  ): Promise<ImportJob> {
    const rows = updatedRows<ImportJobRow>(
      await this.db.query(
        `UPDATE ingestion.import_jobs
          SET status = $3, error = $4, finished_at = now(), updated_at = now()
        WHERE workspace_id = $1 AND id = $2 RETURNING *`,
        [
          workspaceId,
          id,
          outcome.status,
          outcome.status === 'failed' ? JSON.stringify(outcome.error) : null,
        ],
      ),
    );
    return toJob(single(rows));
  }

  async rejections(
    workspaceId: string,
    id: string,
    afterLine: number,
    limit: number,
  ): Promise<RowRejection[]> {
    if (!UUID.test(id)) return [];
    const rows: { line: string; reasons: RowRejection['reasons'] }[] = await this.db.query(
      `SELECT r.line, r.reasons FROM ingestion.import_rejections r
         JOIN ingestion.import_jobs j ON j.id = r.job_id
        WHERE j.workspace_id = $1 AND r.job_id = $2 AND r.line > $3
        ORDER BY r.line LIMIT $4`,
      [workspaceId, id, afterLine, limit],
    );
    return rows.map((r) => ({ line: Number(r.line), reasons: r.reasons }));
  }
}

function single<T>(rows: readonly T[]): T {
  const row = rows[0];
  if (row === undefined) throw new Error('expected one row');
  return row;
}

/** TypeORM answers an UPDATE ... RETURNING on Postgres with `[rows, rowCount]`. */
function updatedRows<T>(raw: unknown): T[] {
  if (Array.isArray(raw) && Array.isArray(raw[0])) return raw[0] as T[];
  return raw as T[];
}
