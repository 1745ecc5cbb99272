import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Sources and their write keys (only the hash of each secret). */
export class CreateSources1764000201000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE ingestion.sources (
        id text PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('browser', 'server', 'mobile', 'import')),
        enabled boolean NOT NULL DEFAULT true,
        tracking_plan_id text NULL REFERENCES ingestion.tracking_plans (id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX sources_workspace_idx ON ingestion.sources (workspace_id, created_at, id)`,
    );
    await runner.query(
      `CREATE INDEX sources_tracking_plan_idx ON ingestion.sources (tracking_plan_id) WHERE tracking_plan_id IS NOT NULL`,
    );
    await runner.query(`
      CREATE TABLE ingestion.write_keys (
        id text PRIMARY KEY,
        workspace_id uuid NOT NULL,
        source_id text NOT NULL REFERENCES ingestion.sources (id) ON DELETE CASCADE,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL,
        revoked_at timestamptz NULL,
        rotated_at timestamptz NULL,
        grace_until timestamptz NULL,
        replaced_by text NULL,
        rotated_from text NULL
      )`);
    await runner.query(
      `CREATE INDEX write_keys_source_idx ON ingestion.write_keys (workspace_id, source_id, created_at)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS ingestion.write_keys`);
    await runner.query(`DROP TABLE IF EXISTS ingestion.sources`);
  }
}
