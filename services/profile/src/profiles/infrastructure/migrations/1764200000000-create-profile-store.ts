import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The profile projection (schema `profile`): profiles (state + materialised traits for
 * filters), the fact log (one row per absorbed input: idempotency, splits, manual-edit log),
 * custom computed-trait definitions, notes/documents with full-text search, file references,
 * and the outbox of ProfileUpdated messages.
 */
export class CreateProfileStore1764200000000 implements MigrationInterface {
  name = 'CreateProfileStore1764200000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE profile.profiles (
      workspace_id text NOT NULL,
      id text NOT NULL,
      version bigint NOT NULL DEFAULT 0,
      merged_into text,
      traits jsonb NOT NULL DEFAULT '{}',
      state jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    )`);
    await runner.query(
      `CREATE INDEX profiles_merged_into ON profile.profiles (workspace_id, merged_into)
       WHERE merged_into IS NOT NULL`,
    );
    await runner.query(
      `CREATE INDEX profiles_traits ON profile.profiles USING gin (traits jsonb_path_ops)`,
    );
    await runner.query(`CREATE TABLE profile.facts (
      workspace_id text NOT NULL,
      message_id text NOT NULL,
      profile_id text NOT NULL,
      kind text NOT NULL,
      at timestamptz NOT NULL,
      fact jsonb NOT NULL,
      PRIMARY KEY (workspace_id, message_id)
    )`);
    await runner.query(`CREATE INDEX facts_profile ON profile.facts (workspace_id, profile_id)`);
    await runner.query(`CREATE TABLE profile.computed_trait_definitions (
      workspace_id text NOT NULL,
      key text NOT NULL,
      definition jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, key)
    )`);
    await runner.query(`CREATE TABLE profile.notes (
      workspace_id text NOT NULL,
      id text NOT NULL,
      profile_id text NOT NULL,
      kind text NOT NULL,
      title text NOT NULL DEFAULT '',
      body text NOT NULL,
      size_bytes integer NOT NULL,
      author text NOT NULL,
      search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
      ) STORED,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    )`);
    await runner.query(
      `CREATE INDEX notes_profile ON profile.notes (workspace_id, profile_id, created_at DESC)`,
    );
    await runner.query(`CREATE INDEX notes_search ON profile.notes USING gin (search)`);
    await runner.query(`CREATE TABLE profile.files (
      workspace_id text NOT NULL,
      id text NOT NULL,
      profile_id text NOT NULL,
      name text NOT NULL DEFAULT '',
      url text NOT NULL,
      content_type text NOT NULL,
      size_bytes bigint NOT NULL,
      checksum text NOT NULL,
      author text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, id)
    )`);
    await runner.query(
      `CREATE INDEX files_profile ON profile.files (workspace_id, profile_id, created_at DESC)`,
    );
    await runner.query(`CREATE TABLE profile.outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      workspace_id text NOT NULL,
      subject text NOT NULL,
      message_id text NOT NULL,
      payload jsonb NOT NULL
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'outbox',
      'files',
      'notes',
      'computed_trait_definitions',
      'facts',
      'profiles',
    ])
      await runner.query(`DROP TABLE IF EXISTS profile.${table}`);
  }
}
