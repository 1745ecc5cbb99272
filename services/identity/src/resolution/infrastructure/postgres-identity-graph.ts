import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { eventSubject, SUBJECTS } from '@cdp/contracts';
import {
  compareStrings,
  parseIdentifierKey,
  type Identifier,
  type IdentifierKey,
} from '../domain/identifier';
import { type ProfileMerged, type ProfileSplit } from '../domain/identity-events';
import { compareEvidence, type Evidence } from '../domain/observation';
import { type GraphSnapshot, type Link, type ResolutionPlan } from '../domain/resolve-observation';
import { linkKey, type ProfileGraph, type SplitResult } from '../domain/split-profile';
import { GraphChangedError } from '../application/graph-changed.error';
import {
  type LockedProfile,
  type ProfileSplitRepository,
  type ProfileSplitTransaction,
} from '../application/split-profile.use-case';
import {
  type IdentityGraphRepository,
  type IdentityGraphTransaction,
} from '../application/identity-graph.port';
import {
  type ConflictRecord,
  type IdentityReadModel,
  type MergeRecord,
} from '../application/identity-read-model.port';
import {
  profileMergedJson,
  profileSplitJson,
  PROFILE_MERGED_SCHEMA,
  PROFILE_SPLIT_SCHEMA,
} from './identity-wire';

/** Postgres errors that mean "another resolution got there first": re-plan. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001', '23505', '23503']);

/** One identity_map change: the identifier now resolves to `profileId` (version-ordered). */
export interface IdentityMapChange {
  readonly type: string;
  readonly value: string;
  readonly profileId: string;
  readonly version: number;
}

/**
 * 64-bit advisory-lock keys of identifiers, sorted and unique: every transaction takes its locks
 * in the same global order, so two resolutions never deadlock on them.
 */
export function advisoryLockKeys(
  workspaceId: string,
  identifierKeys: readonly IdentifierKey[],
): string[] {
  const hashes = new Set<bigint>();
  for (const key of identifierKeys)
    hashes.add(
      createHash('sha256').update(`${workspaceId}\u0000${key}`).digest().readBigInt64BE(0),
    );
  return [...hashes].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
}

interface SnapshotRow {
  profile_id: string;
  version: number;
  type: string;
  value: string;
  first_seen: Evidence;
}

/**
 * The identity graph over Postgres schema `identity`. `withLocks` runs `work` in one READ
 * COMMITTED transaction after `pg_advisory_xact_lock` on every identifier key (hashed, sorted);
 * `apply` re-reads the snapshot profiles `FOR UPDATE` and refuses a plan whose versions moved.
 * Identifier rows are unique per (workspace, type, value): one identifier, one profile.
 * Merges and identity_map changes are written to `identity.outbox` in the same transaction.
 */
export class PostgresIdentityGraph
  implements IdentityGraphRepository, IdentityReadModel, ProfileSplitRepository
{
  constructor(private readonly dataSource: DataSource) {}

  withLocks<T>(
    workspaceId: string,
    identifierKeys: readonly IdentifierKey[],
    work: (graph: IdentityGraphTransaction) => Promise<T>,
  ): Promise<T> {
    return this.locked(workspaceId, identifierKeys, (manager) =>
      work(new PostgresGraphTransaction(manager, workspaceId)),
    );
  }

  async withProfileLocked<T>(
    workspaceId: string,
    profileId: string,
    work: (tx: ProfileSplitTransaction) => Promise<T>,
  ): Promise<T> {
    const before = await this.dataSource.query<{ key: string }[]>(
      `SELECT type || ':' || value AS key FROM identity.identifiers
       WHERE workspace_id = $1 AND profile_id = $2 ORDER BY 1`,
      [workspaceId, profileId],
    );
    const keys = before.map((r) => r.key);
    return this.locked(workspaceId, keys, (manager) =>
      work(new PostgresSplitTransaction(manager, workspaceId, profileId, keys)),
    );
  }

  /**
   * Runs `work` in one READ COMMITTED transaction holding `pg_advisory_xact_lock` on every
   * identifier key (hashed, sorted). Lost races surface as GraphChangedError (re-plan).
   */
  private async locked<T>(
    workspaceId: string,
    identifierKeys: readonly IdentifierKey[],
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        const locks = advisoryLockKeys(workspaceId, identifierKeys);
        // A function scan yields the array in order: the locks are taken in sorted order.
        if (locks.length > 0)
          await manager.query('SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS t(k)', [
            locks,
          ]);
        return work(manager);
      });
    } catch (error) {
      const code = sqlState(error);
      if (code !== undefined && RETRYABLE_SQLSTATES.has(code))
        throw new GraphChangedError(`(${code})`);
      throw error;
    }
  }

  async profileGraph(workspaceId: string, profileId: string): Promise<ProfileGraph | undefined> {
    const canonical = await this.canonicalProfileId(workspaceId, profileId);
    if (canonical === undefined) return undefined;
    const identifiers: { type: string; value: string; first_seen: Evidence }[] =
      await this.dataSource.query(
        `SELECT type, value, first_seen FROM identity.identifiers
         WHERE workspace_id = $1 AND profile_id = $2 ORDER BY type, value`,
        [workspaceId, canonical],
      );
    const links: { identifiers: Identifier[]; evidence: Evidence }[] = await this.dataSource.query(
      `SELECT identifiers, evidence FROM identity.links
       WHERE workspace_id = $1 AND profile_id = $2 ORDER BY observed_at, message_id`,
      [workspaceId, canonical],
    );
    return {
      profileId: canonical,
      identifiers: identifiers.map((r) => ({
        identifier: { type: r.type, value: r.value },
        firstSeen: r.first_seen,
      })),
      links: links.map((l) => ({ identifiers: l.identifiers, evidence: l.evidence })),
    };
  }

  /** The live profile a (possibly merged) id resolves to; undefined for an unknown id. */
  async canonicalProfileId(workspaceId: string, profileId: string): Promise<string | undefined> {
    const rows: { id: string; merged_into: string | null }[] = await this.dataSource.query(
      'SELECT id, merged_into FROM identity.profiles WHERE workspace_id = $1 AND id = $2',
      [workspaceId, profileId],
    );
    const row = rows[0];
    if (!row) return undefined;
    // Merges compress paths: merged_into always names a live profile.
    return row.merged_into ?? row.id;
  }

  /** The profile holding an identifier, or undefined. */
  async profileOf(workspaceId: string, identifier: Identifier): Promise<string | undefined> {
    const rows: { profile_id: string }[] = await this.dataSource.query(
      `SELECT profile_id FROM identity.identifiers
       WHERE workspace_id = $1 AND type = $2 AND value = $3`,
      [workspaceId, identifier.type, identifier.value],
    );
    return rows[0]?.profile_id;
  }

  /** Every id that is or was merged into `canonicalId` (itself first). */
  async historicalIds(workspaceId: string, canonicalId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM identity.profiles WHERE workspace_id = $1 AND merged_into = $2 ORDER BY seq`,
      [workspaceId, canonicalId],
    );
    return [canonicalId, ...rows.map((r) => r.id)];
  }

  mergesOf(workspaceId: string, profileIds: readonly string[]): Promise<MergeRecord[]> {
    return this.merges(
      `WHERE workspace_id = $1 AND (survivor_id = ANY($2::text[]) OR merged_ids && $2::text[])
       ORDER BY seq`,
      [workspaceId, profileIds],
    );
  }

  latestMerges(workspaceId: string, limit: number): Promise<MergeRecord[]> {
    return this.merges('WHERE workspace_id = $1 ORDER BY seq DESC LIMIT $2', [workspaceId, limit]);
  }

  private async merges(where: string, params: unknown[]): Promise<MergeRecord[]> {
    const rows = await this.dataSource.query<
      {
        merge_id: string;
        survivor_id: string;
        merged_ids: string[];
        rule: 'observed_together';
        identifiers: Identifier[];
        evidence: MergeRecord['evidence'];
        steps: MergeRecord['steps'];
        actor: MergeRecord['actor'];
        at: Date;
      }[]
    >(
      `SELECT merge_id, survivor_id, merged_ids, rule, identifiers, evidence, steps, actor, at
       FROM identity.merge_ledger ${where}`,
      params,
    );
    return rows.map((r) => ({
      mergeId: r.merge_id,
      survivingProfileId: r.survivor_id,
      mergedProfileIds: r.merged_ids,
      identifiers: r.identifiers,
      ruleId: r.rule,
      evidence: r.evidence,
      actor: r.actor,
      steps: r.steps,
      at: r.at.toISOString(),
    }));
  }

  async conflictsOf(workspaceId: string, profileIds: readonly string[]): Promise<ConflictRecord[]> {
    const rows = await this.dataSource.query<
      {
        rule: ConflictRecord['rule'];
        dropped_type: string;
        dropped_value: string;
        limits: ConflictRecord['limits'] | null;
        profile_ids: string[];
        identifiers: Identifier[];
        evidence: Evidence;
        message: string;
        created_at: Date;
      }[]
    >(
      `SELECT rule, dropped_type, dropped_value, limits, profile_ids, identifiers, evidence,
         message, created_at
       FROM identity.conflicts WHERE workspace_id = $1 AND profile_ids && $2::text[]
       ORDER BY created_at, message_id`,
      [workspaceId, profileIds],
    );
    return rows.map((r) => ({
      rule: r.rule,
      dropped: { type: r.dropped_type, value: r.dropped_value },
      ...(r.limits ? { limits: r.limits } : {}),
      profileIds: r.profile_ids,
      identifiers: r.identifiers,
      evidence: r.evidence,
      message: r.message,
      at: r.created_at.toISOString(),
    }));
  }

  /** The graph as identifier components: sorted keys per live profile, profiles sorted. */
  async components(workspaceId: string): Promise<string[][]> {
    const rows: { keys: string[] }[] = await this.dataSource.query(
      `SELECT array_agg(type || ':' || value) AS keys FROM identity.identifiers
       WHERE workspace_id = $1 GROUP BY profile_id`,
      [workspaceId],
    );
    return rows
      .map((r) => [...r.keys].sort(compareStrings))
      .sort((a, b) => compareStrings(a.join('|'), b.join('|')));
  }
}

class PostgresGraphTransaction implements IdentityGraphTransaction {
  constructor(
    private readonly manager: EntityManager,
    private readonly workspaceId: string,
  ) {}

  async loadSnapshot(identifierKeys: readonly IdentifierKey[]): Promise<GraphSnapshot> {
    if (identifierKeys.length === 0) return { profiles: [] };
    const parsed = identifierKeys.map(parseIdentifierKey);
    // One statement: identifiers and versions come from the same snapshot.
    const rows: SnapshotRow[] = await this.manager.query(
      `WITH hit AS (
         SELECT DISTINCT profile_id FROM identity.identifiers
         WHERE workspace_id = $1
           AND (type, value) IN (SELECT * FROM unnest($2::text[], $3::text[]))
       )
       SELECT i.profile_id, p.version, i.type, i.value, i.first_seen
       FROM identity.identifiers i
       JOIN identity.profiles p ON p.workspace_id = i.workspace_id AND p.id = i.profile_id
       WHERE i.workspace_id = $1 AND i.profile_id IN (SELECT profile_id FROM hit)
       ORDER BY i.profile_id, i.type, i.value`,
      [this.workspaceId, parsed.map((i) => i.type), parsed.map((i) => i.value)],
    );
    const profiles = new Map<
      string,
      { id: string; version: number; firstSeen: Evidence; identifiers: Identifier[] }
    >();
    for (const row of rows) {
      const identifier = { type: row.type, value: row.value };
      const profile = profiles.get(row.profile_id);
      if (!profile)
        profiles.set(row.profile_id, {
          id: row.profile_id,
          version: row.version,
          firstSeen: row.first_seen,
          identifiers: [identifier],
        });
      else {
        profile.identifiers.push(identifier);
        if (compareEvidence(row.first_seen, profile.firstSeen) < 0)
          profile.firstSeen = row.first_seen;
      }
    }
    return { profiles: [...profiles.values()] };
  }

  async apply(plan: ResolutionPlan, merged: ProfileMerged | undefined): Promise<void> {
    const ws = this.workspaceId;
    const expected = Object.entries(plan.expectedVersions).sort(([a], [b]) => compareStrings(a, b));
    if (expected.length > 0) {
      const rows: { id: string; version: number; merged_into: string | null }[] =
        await this.manager.query(
          `SELECT id, version, merged_into FROM identity.profiles
           WHERE workspace_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`,
          [ws, expected.map(([id]) => id)],
        );
      const current = new Map(rows.map((r) => [r.id, r]));
      for (const [id, version] of expected) {
        const row = current.get(id);
        if (!row || row.version !== version || row.merged_into !== null)
          throw new GraphChangedError(id);
      }
    }
    for (const c of plan.conflicts)
      await this.manager.query(
        `INSERT INTO identity.conflicts (workspace_id, message_id, dropped_type, dropped_value,
           rule, profile_ids, identifiers, limits, evidence, message)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
        [
          ws,
          c.evidence.messageId,
          c.dropped.type,
          c.dropped.value,
          c.rule,
          c.profileIds,
          JSON.stringify(c.identifiers),
          c.limits ? JSON.stringify(c.limits) : null,
          JSON.stringify(c.evidence),
          c.message,
        ],
      );
    if (plan.profileId === null) return;
    const target = plan.profileId;
    let changed = plan.outcome !== 'unchanged';
    const mapChanges: IdentityMapChange[] = [];
    const collect = (rows: { type: string; value: string; map_version: string | number }[]) => {
      for (const r of rows)
        mapChanges.push({
          type: r.type,
          value: r.value,
          profileId: target,
          version: Number(r.map_version),
        });
    };

    if (plan.create)
      await this.manager.query('INSERT INTO identity.profiles (workspace_id, id) VALUES ($1, $2)', [
        ws,
        plan.create.profileId,
      ]);
    const mergedIds = plan.merge?.mergedIds ?? [];
    if (mergedIds.length > 0) {
      await this.manager.query(
        `UPDATE identity.profiles SET merged_into = $2, merged_at = now(), version = version + 1,
           updated_at = now()
         WHERE workspace_id = $1 AND id = ANY($3::text[])`,
        [ws, target, mergedIds],
      );
      // Path compression: ids merged earlier into the merged profiles now name the survivor.
      await this.manager.query(
        `UPDATE identity.profiles SET merged_into = $2
         WHERE workspace_id = $1 AND merged_into = ANY($3::text[])`,
        [ws, target, mergedIds],
      );
      const [moved] = await this.manager.query<
        [{ type: string; value: string; map_version: string }[], number]
      >(
        `UPDATE identity.identifiers
         SET profile_id = $2, map_version = nextval('identity.identity_map_version'),
           updated_at = now()
         WHERE workspace_id = $1 AND profile_id = ANY($3::text[])
         RETURNING type, value, map_version`,
        [ws, target, mergedIds],
      );
      collect(moved);
      await this.manager.query(
        `UPDATE identity.links SET profile_id = $2
         WHERE workspace_id = $1 AND profile_id = ANY($3::text[])`,
        [ws, target, mergedIds],
      );
    }

    const ev = plan.evidence;
    if (plan.resolved.length > 0) {
      const rows: { type: string; value: string; map_version: string; inserted: boolean }[] =
        await this.manager.query(
          `INSERT INTO identity.identifiers AS i (workspace_id, type, value, profile_id,
             first_seen, first_seen_at, first_seen_message_id, map_version)
           SELECT $1, t, v, $2, $5::jsonb, $6::timestamptz, $7,
             nextval('identity.identity_map_version')
           FROM unnest($3::text[], $4::text[]) AS u(t, v)
           ON CONFLICT (workspace_id, type, value) DO UPDATE SET
             first_seen = EXCLUDED.first_seen, first_seen_at = EXCLUDED.first_seen_at,
             first_seen_message_id = EXCLUDED.first_seen_message_id, updated_at = now()
           WHERE (EXCLUDED.first_seen_at, EXCLUDED.first_seen_message_id COLLATE "C")
             < (i.first_seen_at, i.first_seen_message_id COLLATE "C")
           RETURNING type, value, map_version, (xmax = 0) AS inserted`,
          [
            ws,
            target,
            plan.resolved.map((i) => i.type),
            plan.resolved.map((i) => i.value),
            JSON.stringify(ev),
            ev.observedAt,
            ev.messageId,
          ],
        );
      collect(rows.filter((r) => r.inserted));
      if (rows.some((r) => !r.inserted)) changed = true;
    }
    if (plan.link && (await insertLink(this.manager, ws, target, plan.link))) changed = true;
    // Like the in-memory graph: no version bump when the observation taught nothing new.
    if (changed)
      await this.manager.query(
        `UPDATE identity.profiles SET version = version + 1, updated_at = now()
         WHERE workspace_id = $1 AND id = $2`,
        [ws, target],
      );
    if (merged) {
      await this.manager.query(
        `INSERT INTO identity.merge_ledger (workspace_id, merge_id, survivor_id, merged_ids,
           evidence_message_id, rule, identifiers, evidence, steps, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          ws,
          merged.mergeId,
          merged.survivingProfileId,
          merged.mergedProfileIds,
          merged.evidence[0]?.messageId ?? '',
          merged.ruleId,
          JSON.stringify(merged.identifiers),
          JSON.stringify(merged.evidence),
          JSON.stringify(merged.steps),
          JSON.stringify(merged.actor),
        ],
      );
      await this.outbox({
        kind: 'event',
        subject: eventSubject(SUBJECTS.profileMerged, ws),
        messageId: merged.mergeId,
        schema: PROFILE_MERGED_SCHEMA,
        payload: profileMergedJson(merged),
      });
    }
    if (mapChanges.length > 0) await this.outbox({ kind: 'identity_map', payload: mapChanges });
  }

  private outbox(row: OutboxInsert): Promise<void> {
    return insertOutbox(this.manager, this.workspaceId, row);
  }
}
interface OutboxInsert {
  kind: 'event' | 'identity_map';
  subject?: string;
  messageId?: string;
  schema?: string;
  payload: unknown;
}

async function insertOutbox(
  manager: EntityManager,
  workspaceId: string,
  row: OutboxInsert,
): Promise<void> {
  await manager.query(
    `INSERT INTO identity.outbox (workspace_id, kind, subject, message_id, schema, payload)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      workspaceId,
      row.kind,
      row.subject ?? null,
      row.messageId ?? null,
      row.schema ?? null,
      JSON.stringify(row.payload),
    ],
  );
}

async function insertLink(
  manager: EntityManager,
  workspaceId: string,
  profileId: string,
  link: Link,
): Promise<boolean> {
  const rows = await manager.query<unknown[]>(
    `INSERT INTO identity.links AS l (workspace_id, link_hash, profile_id, identifiers,
       evidence, message_id, source_id, observed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (workspace_id, link_hash) DO UPDATE SET
       profile_id = EXCLUDED.profile_id, identifiers = EXCLUDED.identifiers,
       evidence = EXCLUDED.evidence, message_id = EXCLUDED.message_id,
       source_id = EXCLUDED.source_id, observed_at = EXCLUDED.observed_at
     WHERE (EXCLUDED.observed_at, EXCLUDED.message_id COLLATE "C")
       < (l.observed_at, l.message_id COLLATE "C")
     RETURNING 1`,
    [
      workspaceId,
      linkHash(link),
      profileId,
      JSON.stringify(link.identifiers),
      JSON.stringify(link.evidence),
      link.evidence.messageId,
      link.evidence.sourceId,
      link.evidence.observedAt,
    ],
  );
  return rows.length > 0;
}

class PostgresSplitTransaction implements ProfileSplitTransaction {
  constructor(
    private readonly manager: EntityManager,
    private readonly workspaceId: string,
    private readonly profileId: string,
    private readonly lockedKeys: readonly string[],
  ) {}

  async load(): Promise<LockedProfile | undefined> {
    const ws = this.workspaceId;
    const [profile] = await this.manager.query<{ version: number; merged_into: string | null }[]>(
      `SELECT version, merged_into FROM identity.profiles
       WHERE workspace_id = $1 AND id = $2 FOR UPDATE`,
      [ws, this.profileId],
    );
    if (!profile || profile.merged_into !== null) return undefined;
    const identifiers = await this.manager.query<
      { type: string; value: string; first_seen: Evidence }[]
    >(
      `SELECT type, value, first_seen FROM identity.identifiers
       WHERE workspace_id = $1 AND profile_id = $2 ORDER BY type || ':' || value`,
      [ws, this.profileId],
    );
    const keys = identifiers.map((i) => `${i.type}:${i.value}`);
    // An identifier joined (or left) between the read and the locks: lock again.
    if (keys.join('\u0000') !== this.lockedKeys.join('\u0000'))
      throw new GraphChangedError(this.profileId);
    const links = await this.manager.query<{ identifiers: Identifier[]; evidence: Evidence }[]>(
      `SELECT identifiers, evidence FROM identity.links
       WHERE workspace_id = $1 AND profile_id = $2 ORDER BY observed_at, message_id`,
      [ws, this.profileId],
    );
    return {
      version: profile.version,
      graph: {
        profileId: this.profileId,
        identifiers: identifiers.map((r) => ({
          identifier: { type: r.type, value: r.value },
          firstSeen: r.first_seen,
        })),
        links,
      },
    };
  }

  async applySplit(
    result: SplitResult,
    event: ProfileSplit,
    expectedVersion: number,
  ): Promise<void> {
    const ws = this.workspaceId;
    const [current] = await this.manager.query<{ version: number }[]>(
      'SELECT version FROM identity.profiles WHERE workspace_id = $1 AND id = $2 FOR UPDATE',
      [ws, this.profileId],
    );
    if (current?.version !== expectedVersion) throw new GraphChangedError(this.profileId);
    const mapChanges: IdentityMapChange[] = [];
    for (const component of result.components) {
      if (component.keepsOriginalId) continue;
      await this.manager.query(
        'INSERT INTO identity.profiles (workspace_id, id, version) VALUES ($1, $2, 1)',
        [ws, component.profileId],
      );
      const [moved] = await this.manager.query<
        [{ type: string; value: string; map_version: string }[], number]
      >(
        `UPDATE identity.identifiers
         SET profile_id = $2, map_version = nextval('identity.identity_map_version'),
           updated_at = now()
         WHERE workspace_id = $1 AND profile_id = $3
           AND (type, value) IN (SELECT * FROM unnest($4::text[], $5::text[]))
         RETURNING type, value, map_version`,
        [
          ws,
          component.profileId,
          this.profileId,
          component.identifiers.map((i) => i.type),
          component.identifiers.map((i) => i.value),
        ],
      );
      for (const r of moved)
        mapChanges.push({
          type: r.type,
          value: r.value,
          profileId: component.profileId,
          version: Number(r.map_version),
        });
    }
    // Links are re-derived per component (a cut link keeps its evidence on each side).
    await this.manager.query(
      'DELETE FROM identity.links WHERE workspace_id = $1 AND profile_id = $2',
      [ws, this.profileId],
    );
    for (const component of result.components)
      for (const link of component.links)
        await insertLink(this.manager, ws, component.profileId, link);
    await this.manager.query(
      `UPDATE identity.profiles SET version = version + 1, updated_at = now()
       WHERE workspace_id = $1 AND id = $2`,
      [ws, this.profileId],
    );
    await this.manager.query(
      `INSERT INTO identity.splits (workspace_id, split_id, source_profile_id, profile_ids, parts,
         reason, actor)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        ws,
        event.splitId,
        event.sourceProfileId,
        event.parts.map((p) => p.profileId),
        JSON.stringify(event.parts),
        event.reason,
        JSON.stringify(event.actor),
      ],
    );
    await insertOutbox(this.manager, ws, {
      kind: 'event',
      subject: eventSubject(SUBJECTS.profileSplit, ws),
      messageId: event.splitId,
      schema: PROFILE_SPLIT_SCHEMA,
      payload: profileSplitJson(event),
    });
    if (mapChanges.length > 0)
      await insertOutbox(this.manager, ws, { kind: 'identity_map', payload: mapChanges });
  }
}

/** md5 of the link's sorted identifier keys (the keys can exceed a btree entry). */
export function linkHash(link: Link): string {
  return createHash('md5').update(linkKey(link)).digest('hex');
}

function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const driver = (error as { driverError?: { code?: unknown }; code?: unknown }).driverError;
  const code = driver?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
