import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The identity graph (schema `identity`): profiles, identifiers (one profile each), links with
 * their evidence, the append-only merge ledger, conflicts, and the transactional outbox that
 * carries merges and identity_map changes out of the resolution's transaction.
 */
export class CreateIdentityGraph1764100000000 implements MigrationInterface {
  name = 'CreateIdentityGraph1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE SEQUENCE identity.identity_map_version`);
    await runner.query(`CREATE TABLE identity.profiles (
      workspace_id text NOT NULL,
      id text NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      version integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      merged_into text,
      merged_at timestamptz,
      PRIMARY KEY (workspace_id, id)
    )`);
    await runner.query(
      `CREATE INDEX profiles_merged_into ON identity.profiles (workspace_id, merged_into)
       WHERE merged_into IS NOT NULL`,
    );
    await runner.query(`CREATE TABLE identity.identifiers (
      workspace_id text NOT NULL,
      type text NOT NULL,
      value text NOT NULL,
      profile_id text NOT NULL,
      first_seen jsonb NOT NULL,
      first_seen_at timestamptz NOT NULL,
      first_seen_message_id text NOT NULL,
      map_version bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, type, value),
      FOREIGN KEY (workspace_id, profile_id) REFERENCES identity.profiles (workspace_id, id)
    )`);
    await runner.query(
      `CREATE INDEX identifiers_profile ON identity.identifiers (workspace_id, profile_id)`,
    );
    await runner.query(`CREATE TABLE identity.links (
      workspace_id text NOT NULL,
      link_hash text NOT NULL,
      profile_id text NOT NULL,
      identifiers jsonb NOT NULL,
      evidence jsonb NOT NULL,
      message_id text NOT NULL,
      source_id text NOT NULL,
      observed_at timestamptz NOT NULL,
      rule text NOT NULL DEFAULT 'observed_together',
      PRIMARY KEY (workspace_id, link_hash)
    )`);
    await runner.query(`CREATE INDEX links_profile ON identity.links (workspace_id, profile_id)`);
    await runner.query(`CREATE TABLE identity.merge_ledger (
      workspace_id text NOT NULL,
      merge_id text NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      survivor_id text NOT NULL,
      merged_ids text[] NOT NULL,
      evidence_message_id text NOT NULL,
      rule text NOT NULL,
      identifiers jsonb NOT NULL,
      evidence jsonb NOT NULL,
      steps jsonb NOT NULL,
      actor jsonb NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, merge_id)
    )`);
    await runner.query(
      `CREATE INDEX merge_ledger_survivor ON identity.merge_ledger (workspace_id, survivor_id)`,
    );
    await runner.query(
      `CREATE INDEX merge_ledger_merged ON identity.merge_ledger USING gin (merged_ids)`,
    );
    // Append-only: a merge is history. Rows may only be deleted (right to erasure).
    await runner.query(`CREATE FUNCTION identity.merge_ledger_append_only() RETURNS trigger
      LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'identity.merge_ledger is append-only';
      END $$`);
    await runner.query(`CREATE TRIGGER merge_ledger_no_update BEFORE UPDATE ON identity.merge_ledger
      FOR EACH ROW EXECUTE FUNCTION identity.merge_ledger_append_only()`);
    await runner.query(`CREATE TABLE identity.conflicts (
      workspace_id text NOT NULL,
      message_id text NOT NULL,
      dropped_type text NOT NULL,
      dropped_value text NOT NULL,
      rule text NOT NULL,
      profile_ids text[] NOT NULL,
      identifiers jsonb NOT NULL,
      limits jsonb,
      evidence jsonb NOT NULL,
      message text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, message_id, dropped_type, dropped_value)
    )`);
    await runner.query(
      `CREATE INDEX conflicts_profiles ON identity.conflicts USING gin (profile_ids)`,
    );
    await runner.query(`CREATE TABLE identity.outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      workspace_id text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('event', 'identity_map')),
      subject text,
      message_id text,
      schema text,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['outbox', 'conflicts', 'merge_ledger', 'links', 'identifiers', 'profiles'])
      await runner.query(`DROP TABLE IF EXISTS identity.${table}`);
    await runner.query(`DROP FUNCTION IF EXISTS identity.merge_ledger_append_only()`);
    await runner.query(`DROP SEQUENCE IF EXISTS identity.identity_map_version`);
  }
}
