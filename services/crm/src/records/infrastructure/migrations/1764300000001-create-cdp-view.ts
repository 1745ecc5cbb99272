import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The contacts' CDP view: a projection of CDP messages, NOT CRM events (a CDP fact never becomes
 * a CRM change, so it cannot echo back to the CDP): which profile each contact resolved to,
 * the profile's traits (computed.last_seen, computed.total_revenue, …) and its segments.
 */
export class CreateCdpView1764300000001 implements MigrationInterface {
  name = 'CreateCdpView1764300000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE crm.contact_profiles (
      workspace_id text NOT NULL,
      contact_id text NOT NULL,
      profile_id text NOT NULL,
      contact_version integer NOT NULL,
      linked_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, contact_id)
    )`);
    await runner.query(
      `CREATE INDEX contact_profiles_profile ON crm.contact_profiles (workspace_id, profile_id)`,
    );
    await runner.query(`CREATE TABLE crm.cdp_profiles (
      workspace_id text NOT NULL,
      profile_id text NOT NULL,
      version bigint NOT NULL DEFAULT 0,
      traits jsonb NOT NULL DEFAULT '{}',
      trait_versions jsonb NOT NULL DEFAULT '{}',
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, profile_id)
    )`);
    await runner.query(`CREATE TABLE crm.cdp_segment_memberships (
      workspace_id text NOT NULL,
      profile_id text NOT NULL,
      segment_id text NOT NULL,
      member boolean NOT NULL,
      segment_version bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (workspace_id, profile_id, segment_id)
    )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of ['cdp_segment_memberships', 'cdp_profiles', 'contact_profiles'])
      await runner.query(`DROP TABLE IF EXISTS crm.${table}`);
  }
}
