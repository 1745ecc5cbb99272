import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Bulk import jobs and the rejected rows they keep (the first N per job). */
export class CreateImportJobs1764000400000 implements MigrationInterface {
  name = 'CreateImportJobs1764000400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ingestion.import_jobs (
        id uuid PRIMARY KEY,
        workspace_id uuid NOT NULL,
        source_id text NOT NULL,
        format text NOT NULL CHECK (format IN ('csv', 'ndjson')),
        mapping jsonb,
        status text NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        rows_read bigint NOT NULL DEFAULT 0,
        accepted bigint NOT NULL DEFAULT 0,
        rejected bigint NOT NULL DEFAULT 0,
        rejections_stored integer NOT NULL DEFAULT 0,
        last_line bigint NOT NULL DEFAULT 0,
        bytes_read bigint NOT NULL DEFAULT 0,
        error jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX import_jobs_workspace_created ON ingestion.import_jobs (workspace_id, created_at DESC)`,
    );
    await queryRunner.query(`
      CREATE TABLE ingestion.import_rejections (
        job_id uuid NOT NULL REFERENCES ingestion.import_jobs (id) ON DELETE CASCADE,
        line bigint NOT NULL,
        reasons jsonb NOT NULL,
        PRIMARY KEY (job_id, line)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS ingestion.import_rejections`);
    await queryRunner.query(`DROP TABLE IF EXISTS ingestion.import_jobs`);
  }
}
