import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * "Keep apart" records of splits: every identifier of every part of a split, tagged with the
 * split and its part. Resolution refuses to put identifiers of two parts of one split on one
 * profile again (rule `separation.kept_apart`), so a split is not undone by the next event.
 */
export class CreateSeparations1764100000004 implements MigrationInterface {
  name = 'CreateSeparations1764100000004';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE identity.separations (
      workspace_id text NOT NULL,
      split_id text NOT NULL,
      part integer NOT NULL,
      identifier_type text NOT NULL,
      identifier_value text NOT NULL,
      PRIMARY KEY (workspace_id, identifier_type, identifier_value, split_id)
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE IF EXISTS identity.separations');
  }
}
