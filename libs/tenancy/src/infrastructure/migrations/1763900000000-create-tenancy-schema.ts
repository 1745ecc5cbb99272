import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Creates `tenancy.workspaces` and `tenancy.api_keys`.
 *
 * Every service runs TENANCY_MIGRATIONS with its own DataSource and migrations table, so the
 * same migration runs several times, possibly concurrently, against the shared schema: it takes
 * a transaction-scoped advisory lock and uses IF NOT EXISTS, so only the first run does work.
 * Later tenancy migrations must follow the same rule.
 */
export class CreateTenancySchema1763900000000 implements MigrationInterface {
  name = 'CreateTenancySchema1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`SELECT pg_advisory_xact_lock(hashtext('cdp.tenancy.migrations'))`);
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS tenancy`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS tenancy.workspaces (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT workspaces_name_key UNIQUE (name)
      )`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS tenancy.api_keys (
        id text PRIMARY KEY,
        workspace_id uuid NOT NULL REFERENCES tenancy.workspaces (id) ON DELETE CASCADE,
        name text NOT NULL,
        scopes text[] NOT NULL,
        secret_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NULL,
        revoked_at timestamptz NULL,
        rotated_at timestamptz NULL,
        grace_until timestamptz NULL,
        replaced_by text NULL,
        rotated_from text NULL,
        CONSTRAINT api_keys_id_format CHECK (id ~ '^[0-9a-f]{24}$'),
        CONSTRAINT api_keys_scopes_not_empty CHECK (cardinality(scopes) > 0)
      )`);
    await queryRunner.query(
      `CREATE INDEX IF NOT EXISTS api_keys_workspace_idx ON tenancy.api_keys (workspace_id, created_at)`,
    );
  }

  /**
   * Deliberately a no-op: the schema is shared by every service, so reverting one service's
   * migrations must not drop every workspace and key of the platform. Drop the schema by hand.
   */
  async down(_queryRunner: QueryRunner): Promise<void> {
    // see above
  }
}
