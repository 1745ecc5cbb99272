import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each workspace's identity rules (`PUT /v1/identity/config`); absent = the defaults. */
export class CreateWorkspaceConfigs1764100000003 implements MigrationInterface {
  name = 'CreateWorkspaceConfigs1764100000003';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE identity.workspace_configs (
      workspace_id text PRIMARY KEY,
      config jsonb NOT NULL,
      version integer NOT NULL DEFAULT 1,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text NOT NULL
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE IF EXISTS identity.workspace_configs');
  }
}
