import { type MigrationInterface, type QueryRunner } from 'typeorm';

/** Tracking plans (JSON Schema rules per event); `version` grows on every change. */
export class CreateTrackingPlans1764000200000 implements MigrationInterface {
  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE ingestion.tracking_plans (
        id text PRIMARY KEY,
        workspace_id uuid NOT NULL,
        name text NOT NULL,
        mode text NOT NULL CHECK (mode IN ('allow', 'flag', 'block')),
        rules jsonb NOT NULL,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await runner.query(
      `CREATE INDEX tracking_plans_workspace_idx ON ingestion.tracking_plans (workspace_id, created_at, id)`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE IF EXISTS ingestion.tracking_plans`);
  }
}
