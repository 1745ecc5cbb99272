import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Splits of profiles (append-only history, like the merge ledger). */
export class CreateIdentitySplits1764100000001 implements MigrationInterface {
  name = 'CreateIdentitySplits1764100000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE identity.splits (
      workspace_id text NOT NULL,
      split_id text NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      source_profile_id text NOT NULL,
      profile_ids text[] NOT NULL,
      parts jsonb NOT NULL,
      reason text NOT NULL,
      actor jsonb NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, split_id)
    )`);
    await runner.query(`CREATE INDEX splits_profiles ON identity.splits USING gin (profile_ids)`);
    await runner.query(`CREATE TRIGGER splits_no_update BEFORE UPDATE ON identity.splits
      FOR EACH ROW EXECUTE FUNCTION identity.merge_ledger_append_only()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE IF EXISTS identity.splits');
  }
}
