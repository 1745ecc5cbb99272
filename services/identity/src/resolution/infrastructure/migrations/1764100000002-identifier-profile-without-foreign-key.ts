import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identifiers no longer reference profiles by foreign key: every identifier inserted by a
 * micro-batch paid a `FOR KEY SHARE` probe of its profile row (a third of the batch's insert
 * time), while the writers create a profile before any identifier names it, in the same
 * transaction, under the row lock of every profile they touch. The integration tests check
 * that no identifier names a missing or merged profile. ADR 0040.
 */
export class IdentifierProfileWithoutForeignKey1764100000002 implements MigrationInterface {
  name = 'IdentifierProfileWithoutForeignKey1764100000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      'ALTER TABLE identity.identifiers DROP CONSTRAINT IF EXISTS identifiers_workspace_id_profile_id_fkey',
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE identity.identifiers ADD FOREIGN KEY (workspace_id, profile_id)
      REFERENCES identity.profiles (workspace_id, id)`);
  }
}
