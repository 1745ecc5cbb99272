import type { DataSource, EntityManager } from 'typeorm';
import { processOnce } from '@cdp/runtime';
import { applyTraitChanges, type TraitChange } from '../domain/trait-changes';
import {
  type CdpViewStore,
  type CdpViewWriter,
  type ContactLink,
  type MembershipChange,
} from '../application/cdp-view.ports';

class PostgresCdpViewWriter implements CdpViewWriter {
  constructor(private readonly manager: EntityManager) {}

  async link(workspaceId: string, links: readonly ContactLink[]): Promise<number> {
    if (links.length === 0) return 0;
    // Only contacts of this workspace that exist (a link never creates a CRM record).
    const rows = await this.manager.query<{ contact_id: string }[]>(
      `INSERT INTO crm.contact_profiles (workspace_id, contact_id, profile_id, contact_version)
       SELECT $1, l.c, l.p, l.v
       FROM unnest($2::text[], $3::text[], $4::int[]) AS l(c, p, v)
       JOIN crm.contacts c ON c.workspace_id = $1 AND c.id = l.c
       ON CONFLICT (workspace_id, contact_id) DO UPDATE
         SET profile_id = EXCLUDED.profile_id, contact_version = EXCLUDED.contact_version,
             linked_at = now()
         WHERE crm.contact_profiles.contact_version <= EXCLUDED.contact_version
           AND crm.contact_profiles.profile_id <> EXCLUDED.profile_id
       RETURNING contact_id`,
      [
        workspaceId,
        links.map((l) => l.contactId),
        links.map((l) => l.profileId),
        links.map((l) => l.contactVersion),
      ],
    );
    return rows.length;
  }

  async repoint(
    workspaceId: string,
    survivorId: string,
    mergedIds: readonly string[],
  ): Promise<void> {
    await this.manager.query(
      `UPDATE crm.contact_profiles SET profile_id = $2
       WHERE workspace_id = $1 AND profile_id = ANY($3::text[])`,
      [workspaceId, survivorId, mergedIds],
    );
    // The survivor's own updates follow; until then it keeps what the merged profiles knew.
    await this.manager.query(
      `INSERT INTO crm.cdp_profiles (workspace_id, profile_id, version, traits, trait_versions)
       SELECT $1, $2, 0, traits, '{}' FROM crm.cdp_profiles
       WHERE workspace_id = $1 AND profile_id = ANY($3::text[])
       ORDER BY version DESC LIMIT 1
       ON CONFLICT DO NOTHING`,
      [workspaceId, survivorId, mergedIds],
    );
    await this.manager.query(
      `INSERT INTO crm.cdp_segment_memberships
         (workspace_id, profile_id, segment_id, member, segment_version)
       SELECT DISTINCT ON (segment_id) $1, $2, segment_id, member, segment_version
       FROM crm.cdp_segment_memberships
       WHERE workspace_id = $1 AND profile_id = ANY($3::text[])
       ORDER BY segment_id, segment_version DESC
       ON CONFLICT DO NOTHING`,
      [workspaceId, survivorId, mergedIds],
    );
  }

  async split(
    workspaceId: string,
    sourceProfileId: string,
    contactsByPart: readonly { profileId: string; contactIds: readonly string[] }[],
  ): Promise<void> {
    for (const part of contactsByPart) {
      if (part.profileId === sourceProfileId || part.contactIds.length === 0) continue;
      await this.manager.query(
        `UPDATE crm.contact_profiles SET profile_id = $2, linked_at = now()
         WHERE workspace_id = $1 AND profile_id = $3 AND contact_id = ANY($4::text[])`,
        [workspaceId, part.profileId, sourceProfileId, part.contactIds],
      );
    }
  }

  async updateTraits(
    workspaceId: string,
    profileId: string,
    version: number,
    changes: readonly TraitChange[],
  ): Promise<boolean> {
    await this.manager.query(
      `INSERT INTO crm.cdp_profiles (workspace_id, profile_id) VALUES ($1, $2)
       ON CONFLICT DO NOTHING`,
      [workspaceId, profileId],
    );
    const rows = await this.manager.query<
      { version: string; traits: Record<string, unknown>; trait_versions: Record<string, number> }[]
    >(
      `SELECT version, traits, trait_versions FROM crm.cdp_profiles
       WHERE workspace_id = $1 AND profile_id = $2 FOR UPDATE`,
      [workspaceId, profileId],
    );
    const row = rows[0];
    if (!row) return false;
    const { next, changed } = applyTraitChanges(
      { traits: row.traits, versions: row.trait_versions },
      version,
      changes,
    );
    if (!changed) return false;
    await this.manager.query(
      `UPDATE crm.cdp_profiles
       SET traits = $3, trait_versions = $4, version = GREATEST(version, $5), updated_at = now()
       WHERE workspace_id = $1 AND profile_id = $2`,
      [workspaceId, profileId, JSON.stringify(next.traits), JSON.stringify(next.versions), version],
    );
    return true;
  }

  async memberships(
    workspaceId: string,
    segmentId: string,
    segmentVersion: number,
    changes: readonly MembershipChange[],
  ): Promise<void> {
    if (changes.length === 0) return;
    await this.manager.query(
      `INSERT INTO crm.cdp_segment_memberships
         (workspace_id, profile_id, segment_id, member, segment_version)
       SELECT $1, m.p, $2, m.m, $3 FROM unnest($4::text[], $5::boolean[]) AS m(p, m)
       ON CONFLICT (workspace_id, profile_id, segment_id) DO UPDATE
         SET member = EXCLUDED.member, segment_version = EXCLUDED.segment_version, updated_at = now()
         WHERE crm.cdp_segment_memberships.segment_version <= EXCLUDED.segment_version`,
      [
        workspaceId,
        segmentId,
        segmentVersion,
        changes.map((c) => c.profileId),
        changes.map((c) => c.member),
      ],
    );
  }
}

export class PostgresCdpViewStore implements CdpViewStore {
  constructor(private readonly postgres: DataSource) {}

  once(
    consumer: string,
    workspaceId: string,
    messageId: string,
    work: (tx: CdpViewWriter) => Promise<void>,
  ): Promise<boolean> {
    return processOnce(this.postgres, { consumer, workspaceId, messageId }, (manager) =>
      work(new PostgresCdpViewWriter(manager)),
    );
  }

  async read(
    workspaceId: string,
    contactId: string,
  ): Promise<
    | { profileId: string; linkedAt: string; traits: Record<string, unknown>; segments: string[] }
    | undefined
  > {
    const rows = await this.postgres.query<
      {
        profile_id: string;
        linked_at: Date;
        traits: Record<string, unknown> | null;
        segments: string[] | null;
      }[]
    >(
      `SELECT l.profile_id, l.linked_at, p.traits,
              (SELECT array_agg(segment_id ORDER BY segment_id) FROM crm.cdp_segment_memberships m
               WHERE m.workspace_id = l.workspace_id AND m.profile_id = l.profile_id AND m.member) AS segments
       FROM crm.contact_profiles l
       LEFT JOIN crm.cdp_profiles p ON p.workspace_id = l.workspace_id AND p.profile_id = l.profile_id
       WHERE l.workspace_id = $1 AND l.contact_id = $2`,
      [workspaceId, contactId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      profileId: row.profile_id,
      linkedAt: row.linked_at.toISOString(),
      traits: row.traits ?? {},
      segments: row.segments ?? [],
    };
  }
}
