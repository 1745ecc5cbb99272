import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Segment definitions (versioned), the service's own projections of profile traits, CRM facts
 * and behavioral hits, memberships with history, time-window re-checks and the outbox.
 */
export class CreateSegmentation1764300000000 implements MigrationInterface {
  name = 'CreateSegmentation1764300000000';

  async up(runner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE segmentation.segments (
        workspace_id text NOT NULL,
        id text NOT NULL,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        version integer NOT NULL,
        definition jsonb NOT NULL,
        segment_refs text[] NOT NULL DEFAULT '{}',
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_evaluation jsonb,
        PRIMARY KEY (workspace_id, id))`,
      `CREATE TABLE segmentation.segment_versions (
        workspace_id text NOT NULL,
        segment_id text NOT NULL,
        version integer NOT NULL,
        definition jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, segment_id, version))`,
      // Event kinds (name + filters) real time records hits for, and how far back they were backfilled.
      `CREATE TABLE segmentation.matchers (
        workspace_id text NOT NULL,
        matcher_key text NOT NULL,
        step jsonb NOT NULL,
        backfilled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, matcher_key))`,
      // Trait projection: per-key versions make out-of-order ProfileUpdated diffs converge.
      `CREATE TABLE segmentation.profiles (
        workspace_id text NOT NULL,
        profile_id text NOT NULL,
        traits jsonb NOT NULL DEFAULT '{}',
        trait_versions jsonb NOT NULL DEFAULT '{}',
        merged_into text,
        changed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, profile_id))`,
      // A running batch asks which profiles real time touched since its snapshot.
      `CREATE INDEX profiles_changed ON segmentation.profiles (workspace_id, changed_at)`,
      `CREATE TABLE segmentation.hits (
        workspace_id text NOT NULL,
        matcher_key text NOT NULL,
        message_id text NOT NULL,
        profile_id text NOT NULL,
        occurred_at timestamptz NOT NULL,
        user_id text NOT NULL DEFAULT '',
        anonymous_id text NOT NULL DEFAULT '',
        PRIMARY KEY (workspace_id, matcher_key, message_id))`,
      `CREATE INDEX hits_profile ON segmentation.hits (workspace_id, profile_id, matcher_key)`,
      `CREATE TABLE segmentation.crm_contacts (
        workspace_id text NOT NULL,
        contact_id text NOT NULL,
        profile_id text,
        company_id text,
        archived boolean NOT NULL DEFAULT false,
        version bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, contact_id))`,
      `CREATE INDEX crm_contacts_profile ON segmentation.crm_contacts (workspace_id, profile_id)`,
      `CREATE INDEX crm_contacts_company ON segmentation.crm_contacts (workspace_id, company_id)`,
      `CREATE TABLE segmentation.crm_companies (
        workspace_id text NOT NULL,
        company_id text NOT NULL,
        fields jsonb NOT NULL DEFAULT '{}',
        archived boolean NOT NULL DEFAULT false,
        version bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, company_id))`,
      `CREATE TABLE segmentation.crm_deals (
        workspace_id text NOT NULL,
        deal_id text NOT NULL,
        stage_id text,
        stage_kind text,
        pipeline_id text,
        contact_ids text[] NOT NULL DEFAULT '{}',
        archived boolean NOT NULL DEFAULT false,
        version bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, deal_id))`,
      // Deal ↔ contact links, normalised: facts of thousands of contacts join in one hash join
      // (an array-overlap test against thousands of ids scans every deal).
      `CREATE TABLE segmentation.crm_deal_contacts (
        workspace_id text NOT NULL,
        contact_id text NOT NULL,
        deal_id text NOT NULL,
        PRIMARY KEY (workspace_id, contact_id, deal_id))`,
      `CREATE TABLE segmentation.crm_tickets (
        workspace_id text NOT NULL,
        ticket_id text NOT NULL,
        status text,
        contact_id text,
        archived boolean NOT NULL DEFAULT false,
        version bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, ticket_id))`,
      `CREATE INDEX crm_tickets_contact ON segmentation.crm_tickets (workspace_id, contact_id)`,
      `CREATE TABLE segmentation.memberships (
        id bigserial PRIMARY KEY,
        workspace_id text NOT NULL,
        segment_id text NOT NULL,
        profile_id text NOT NULL,
        segment_version integer NOT NULL,
        entered_at timestamptz NOT NULL,
        exited_at timestamptz)`,
      `CREATE UNIQUE INDEX memberships_current ON segmentation.memberships (workspace_id, segment_id, profile_id) WHERE exited_at IS NULL`,
      `CREATE INDEX memberships_profile ON segmentation.memberships (workspace_id, profile_id) WHERE exited_at IS NULL`,
      `CREATE INDEX memberships_history ON segmentation.memberships (workspace_id, segment_id, profile_id, entered_at)`,
      `CREATE TABLE segmentation.rechecks (
        workspace_id text NOT NULL,
        segment_id text NOT NULL,
        profile_id text NOT NULL,
        due_at timestamptz NOT NULL,
        PRIMARY KEY (workspace_id, segment_id, profile_id))`,
      `CREATE INDEX rechecks_due ON segmentation.rechecks (due_at)`,
      `CREATE TABLE segmentation.outbox (
        id bigserial PRIMARY KEY,
        workspace_id text NOT NULL,
        subject text NOT NULL,
        message_id text NOT NULL,
        schema text NOT NULL,
        payload jsonb NOT NULL)`,
    ];
    for (const statement of statements) await runner.query(statement);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const table of [
      'outbox',
      'rechecks',
      'memberships',
      'crm_tickets',
      'crm_deal_contacts',
      'crm_deals',
      'crm_companies',
      'crm_contacts',
      'hits',
      'profiles',
      'matchers',
      'segment_versions',
      'segments',
    ])
      await runner.query(`DROP TABLE IF EXISTS segmentation.${table}`);
  }
}
