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
import {
  type GraphSnapshot,
  type Link,
  type ResolutionPlan,
  type SeparationTag,
} from '../domain/resolve-observation';
import { linkKey, type ProfileGraph, type SplitResult } from '../domain/split-profile';
import { GraphChangedError } from '../application/graph-changed.error';
import {
  type LockedProfile,
  type ProfileSplitRepository,
  type ProfileSplitTransaction,
} from '../application/split-profile.use-case';
import {
  type BatchGraphTransaction,
  type BatchIdentityGraphRepository,
  type IdentityGraphRepository,
  type IdentityGraphTransaction,
} from '../application/identity-graph.port';
import { type BatchChanges, type BatchSnapshot } from '../domain/resolve-batch';
import {
  type ConflictRecord,
  type IdentityReadModel,
  type MergeRecord,
} from '../application/identity-read-model.port';
import {
  type GraphSwap,
  type RebuiltProfile,
  type SwapResult,
} from '../application/verify-rebuild.use-case';
import { randomBytes } from 'node:crypto';
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
 * Advisory-lock buckets per workspace. Identifiers are locked by bucket, not one by one: a
 * micro-batch of thousands of identifiers then takes at most this many locks (Postgres keeps
 * advisory locks in its shared lock table, sized max_locks_per_transaction × connections, 6,400
 * by default), while single resolutions (2-3 identifiers) rarely share a bucket. ADR 0040.
 */
export const LOCK_BUCKETS = 512;

/**
 * 64-bit advisory-lock keys of identifiers, sorted and unique: the workspace's 32-bit hash in
 * the high half, the identifier's bucket in the low half. Every transaction takes its locks in
 * the same global order, so two resolutions never deadlock on them.
 */
export function advisoryLockKeys(
  workspaceId: string,
  identifierKeys: readonly IdentifierKey[],
): string[] {
  const workspace = workspaceLockBase(workspaceId);
  const buckets = new Set<number>();
  for (const key of identifierKeys) buckets.add(fnv1a(key) % LOCK_BUCKETS);
  return [...buckets]
    .map((bucket) => workspace | BigInt(bucket))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map(String);
}

/** The high half of a workspace's lock keys (its 32-bit hash). */
function workspaceLockBase(workspaceId: string): bigint {
  return BigInt(createHash('sha256').update(workspaceId).digest().readInt32BE(0)) << 32n;
}

/** FNV-1a, 32 bits: a cheap, stable spread of identifier keys over the lock buckets. */
function fnv1a(input: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    hash ^= input.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
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
  implements
    GraphSwap,
    IdentityGraphRepository,
    BatchIdentityGraphRepository,
    IdentityReadModel,
    ProfileSplitRepository
{
  constructor(private readonly dataSource: DataSource) {}

  withBatchLocks<T>(
    workspaceId: string,
    identifierKeys: readonly IdentifierKey[],
    work: (graph: BatchGraphTransaction) => Promise<T>,
  ): Promise<T> {
    return this.locked(workspaceId, identifierKeys, (manager) =>
      work(new PostgresBatchTransaction(manager, workspaceId)),
    );
  }

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
   * Replaces the workspace's identifiers and links by a rebuilt graph in one transaction holding
   * every lock bucket of the workspace (resolution of the workspace waits meanwhile). Each
   * rebuilt profile, oldest first, takes the live id of its oldest identifier that no other
   * took; others get new ids. Live profiles left without a taker are merged into the rebuilt
   * profile holding most of their identifiers (their ids keep resolving). Identifiers whose
   * profile changed get identity_map rows (outbox). The merge ledger, conflicts, splits and
   * separations are history and stay.
   */
  async replaceWorkspaceGraph(
    workspaceId: string,
    rebuilt: readonly RebuiltProfile[],
  ): Promise<SwapResult> {
    const ws = workspaceId;
    const everyBucket = Array.from({ length: LOCK_BUCKETS }, (_, bucket) =>
      String(workspaceLockBase(ws) | BigInt(bucket)),
    ).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS t(k)', [
        everyBucket,
      ]);
      const liveRows = await manager.query<{ key: string; profile_id: string }[]>(
        `SELECT type || ':' || value AS key, profile_id FROM identity.identifiers
         WHERE workspace_id = $1`,
        [ws],
      );
      const liveOf = new Map(liveRows.map((r) => [r.key, r.profile_id]));
      const oldestFirst = (a: { firstSeen: Evidence }, b: { firstSeen: Evidence }) =>
        compareEvidence(a.firstSeen, b.firstSeen);
      const profiles = rebuilt
        .filter((p) => p.identifiers.length > 0)
        .map((p) => ({ ...p, identifiers: [...p.identifiers].sort(oldestFirst) }))
        .sort((a, b) => oldestFirst(a.identifiers[0]!, b.identifiers[0]!));
      const taken = new Set<string>();
      let kept = 0;
      const assigned = profiles.map((p) => {
        for (const entry of p.identifiers) {
          const live = liveOf.get(`${entry.identifier.type}:${entry.identifier.value}`);
          if (live !== undefined && !taken.has(live)) {
            taken.add(live);
            kept++;
            return { ...p, id: live, created: false };
          }
        }
        return { ...p, id: `prof_${randomBytes(12).toString('hex')}`, created: true };
      });
      // Where each live profile's identifiers went: the retired ones follow the majority.
      const destinations = new Map<string, Map<string, number>>();
      for (const p of assigned)
        for (const entry of p.identifiers) {
          const live = liveOf.get(`${entry.identifier.type}:${entry.identifier.value}`);
          if (live === undefined || taken.has(live)) continue;
          const counts = destinations.get(live) ?? new Map<string, number>();
          counts.set(p.id, (counts.get(p.id) ?? 0) + 1);
          destinations.set(live, counts);
        }
      const retired = [...destinations].map(([id, counts]) => ({
        id,
        survivor: [...counts].sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]))[0]![0],
      }));

      await manager.query('DELETE FROM identity.links WHERE workspace_id = $1', [ws]);
      await manager.query('DELETE FROM identity.identifiers WHERE workspace_id = $1', [ws]);
      const created = assigned.filter((p) => p.created).map((p) => p.id);
      if (created.length > 0)
        await manager.query(
          `INSERT INTO identity.profiles (workspace_id, id, version)
           SELECT $1, id, 1 FROM unnest($2::text[]) AS t(id)`,
          [ws, created],
        );
      await manager.query(
        `UPDATE identity.profiles SET version = version + 1, updated_at = now()
         WHERE workspace_id = $1 AND id = ANY($2::text[])`,
        [ws, [...taken]],
      );
      if (retired.length > 0) {
        const params = [ws, retired.map((r) => r.id), retired.map((r) => r.survivor)];
        await manager.query(
          `UPDATE identity.profiles p SET merged_into = m.s, merged_at = now(),
             version = p.version + 1, updated_at = now()
           FROM unnest($2::text[], $3::text[]) AS m(id, s)
           WHERE p.workspace_id = $1 AND p.id = m.id`,
          params,
        );
        await manager.query(
          `UPDATE identity.profiles p SET merged_into = m.s
           FROM unnest($2::text[], $3::text[]) AS m(id, s)
           WHERE p.workspace_id = $1 AND p.merged_into = m.id`,
          params,
        );
      }
      const entries = assigned.flatMap((p) =>
        p.identifiers.map((e) => ({ ...e, profileId: p.id })),
      );
      const inserted = await manager.query<
        { type: string; value: string; profile_id: string; map_version: string }[]
      >(
        `INSERT INTO identity.identifiers (workspace_id, type, value, profile_id, first_seen,
           first_seen_at, first_seen_message_id, map_version)
         SELECT $1, t, v, p, f::jsonb, fa, fm, nextval('identity.identity_map_version')
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
           AS u(t, v, p, f, fa, fm)
         RETURNING type, value, profile_id, map_version`,
        [
          ws,
          entries.map((e) => e.identifier.type),
          entries.map((e) => e.identifier.value),
          entries.map((e) => e.profileId),
          entries.map((e) => JSON.stringify(e.firstSeen)),
          entries.map((e) => e.firstSeen.observedAt),
          entries.map((e) => e.firstSeen.messageId),
        ],
      );
      for (const p of assigned)
        for (const link of p.links) await insertLink(manager, ws, p.id, link);
      const moved: IdentityMapChange[] = inserted
        .filter((r) => liveOf.get(`${r.type}:${r.value}`) !== r.profile_id)
        .map((r) => ({
          type: r.type,
          value: r.value,
          profileId: r.profile_id,
          version: Number(r.map_version),
        }));
      if (moved.length > 0)
        await insertOutbox(manager, ws, { kind: 'identity_map', payload: moved });
      return {
        profilesKept: kept,
        profilesCreated: created.length,
        profilesRetired: retired.length,
        identifiersMoved: moved.length,
      };
    });
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
    const keptApart = await loadKeptApart(this.manager, this.workspaceId, [...profiles.keys()]);
    return keptApart
      ? { profiles: [...profiles.values()], keptApart }
      : { profiles: [...profiles.values()] };
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

/**
 * Separation tags of the identifiers of `profileIds` (splits' "keep apart" records); undefined
 * when there are none (the common case: no split ever touched these profiles).
 */
async function loadKeptApart(
  manager: EntityManager,
  workspaceId: string,
  profileIds: readonly string[],
): Promise<Map<IdentifierKey, SeparationTag[]> | undefined> {
  if (profileIds.length === 0) return undefined;
  const rows = await manager.query<
    { type: string; value: string; split_id: string; part: number }[]
  >(
    `SELECT s.identifier_type AS type, s.identifier_value AS value, s.split_id, s.part
     FROM identity.identifiers i
     JOIN identity.separations s ON s.workspace_id = i.workspace_id
       AND s.identifier_type = i.type AND s.identifier_value = i.value
     WHERE i.workspace_id = $1 AND i.profile_id = ANY($2::text[])`,
    [workspaceId, profileIds],
  );
  if (rows.length === 0) return undefined;
  const tags = new Map<IdentifierKey, SeparationTag[]>();
  for (const row of rows) {
    const key = `${row.type}:${row.value}`;
    tags.set(key, [...(tags.get(key) ?? []), { splitId: row.split_id, part: row.part }]);
  }
  return tags;
}

/** Re-reads of the holders of a batch's identifiers before giving up (a merge moved them). */
const MAX_SNAPSHOT_ROUNDS = 10;

/**
 * A micro-batch in one transaction (ADR 0040): after the advisory locks on the batch's
 * identifier buckets, the profiles holding them are row-locked (`FOR NO KEY UPDATE`, sorted),
 * so nobody can change them until commit; the net changes are then written with one statement
 * per kind of change (unnest arrays), whatever the batch size.
 */
class PostgresBatchTransaction implements BatchGraphTransaction {
  constructor(
    private readonly manager: EntityManager,
    private readonly workspaceId: string,
  ) {}

  async loadLockedSnapshot(identifierKeys: readonly IdentifierKey[]): Promise<BatchSnapshot> {
    if (identifierKeys.length === 0) return { profiles: [] };
    const ws = this.workspaceId;
    const types: string[] = [];
    const values: string[] = [];
    for (const key of identifierKeys) {
      const identifier = parseIdentifierKey(key);
      types.push(identifier.type);
      values.push(identifier.value);
    }
    for (let round = 1; ; round++) {
      const holders = await this.manager.query<{ profile_id: string }[]>(
        `SELECT DISTINCT profile_id FROM identity.identifiers
         WHERE workspace_id = $1 AND (type, value) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
        [ws, types, values],
      );
      if (holders.length === 0) return { profiles: [] };
      const ids = holders.map((h) => h.profile_id).sort(compareStrings);
      // Sorted below the lock: rows are locked in id order, like every other writer.
      const locked = await this.manager.query<
        { id: string; version: number; merged_into: string | null }[]
      >(
        `SELECT id, version, merged_into FROM identity.profiles
         WHERE workspace_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR NO KEY UPDATE`,
        [ws, ids],
      );
      // A holder merged away between the read and the lock: its identifiers moved; read again.
      if (locked.length !== ids.length || locked.some((p) => p.merged_into !== null)) {
        if (round >= MAX_SNAPSHOT_ROUNDS) throw new GraphChangedError(ids[0] ?? '');
        continue;
      }
      const rows = await this.manager.query<
        { profile_id: string; type: string; value: string; first_seen: Evidence }[]
      >(
        `SELECT profile_id, type, value, first_seen FROM identity.identifiers
         WHERE workspace_id = $1 AND profile_id = ANY($2::text[])`,
        [ws, ids],
      );
      const byId = new Map(
        locked.map((p) => [
          p.id,
          {
            id: p.id,
            version: p.version,
            identifiers: [] as { identifier: Identifier; firstSeen: Evidence }[],
          },
        ]),
      );
      for (const row of rows)
        byId.get(row.profile_id)?.identifiers.push({
          identifier: { type: row.type, value: row.value },
          firstSeen: row.first_seen,
        });
      const keptApart = await loadKeptApart(this.manager, ws, ids);
      return keptApart
        ? { profiles: [...byId.values()], keptApart }
        : { profiles: [...byId.values()] };
    }
  }

  async applyBatch(changes: BatchChanges): Promise<void> {
    const ws = this.workspaceId;
    const q = <R = unknown[]>(sql: string, params: unknown[]): Promise<R> =>
      this.manager.query<R>(sql, params);
    const mapChanges: IdentityMapChange[] = [];
    const collect = (
      rows: { type: string; value: string; profile_id: string; map_version: string }[],
    ) => {
      for (const r of rows)
        mapChanges.push({
          type: r.type,
          value: r.value,
          profileId: r.profile_id,
          version: Number(r.map_version),
        });
    };

    if (changes.createdProfiles.length > 0)
      await q(
        `INSERT INTO identity.profiles (workspace_id, id, merged_into, merged_at, version)
         SELECT $1, id, m, CASE WHEN m IS NULL THEN NULL ELSE now() END,
           CASE WHEN m IS NULL THEN 1 ELSE 0 END
         FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS t(id, m, n) ORDER BY n`,
        [
          ws,
          changes.createdProfiles.map((p) => p.id),
          changes.createdProfiles.map((p) => p.mergedInto),
        ],
      );

    if (changes.mergedProfiles.length > 0) {
      const params = [
        ws,
        changes.mergedProfiles.map((m) => m.id),
        changes.mergedProfiles.map((m) => m.survivorId),
      ];
      await q(
        `UPDATE identity.profiles p SET merged_into = m.s, merged_at = now(),
           version = p.version + 1, updated_at = now()
         FROM unnest($2::text[], $3::text[]) AS m(id, s)
         WHERE p.workspace_id = $1 AND p.id = m.id`,
        params,
      );
      // Path compression: ids merged earlier into the merged profiles now name the survivor.
      await q(
        `UPDATE identity.profiles p SET merged_into = m.s
         FROM unnest($2::text[], $3::text[]) AS m(id, s)
         WHERE p.workspace_id = $1 AND p.merged_into = m.id`,
        params,
      );
      const [moved] = await q<
        [{ type: string; value: string; profile_id: string; map_version: string }[], number]
      >(
        `UPDATE identity.identifiers i
         SET profile_id = m.s, map_version = nextval('identity.identity_map_version'),
           updated_at = now()
         FROM unnest($2::text[], $3::text[]) AS m(id, s)
         WHERE i.workspace_id = $1 AND i.profile_id = m.id
         RETURNING i.type, i.value, i.profile_id, i.map_version`,
        params,
      );
      collect(moved);
      await q(
        `UPDATE identity.links l SET profile_id = m.s
         FROM unnest($2::text[], $3::text[]) AS m(id, s)
         WHERE l.workspace_id = $1 AND l.profile_id = m.id`,
        params,
      );
    }

    if (changes.newIdentifiers.length > 0) {
      const list = changes.newIdentifiers;
      const inserted = await q<
        { type: string; value: string; profile_id: string; map_version: string }[]
      >(
        `INSERT INTO identity.identifiers (workspace_id, type, value, profile_id, first_seen,
           first_seen_at, first_seen_message_id, map_version)
         SELECT $1, t, v, p, f::jsonb, fa, fm, nextval('identity.identity_map_version')
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[])
           AS u(t, v, p, f, fa, fm)
         RETURNING type, value, profile_id, map_version`,
        [
          ws,
          list.map((i) => i.identifier.type),
          list.map((i) => i.identifier.value),
          list.map((i) => i.profileId),
          list.map((i) => JSON.stringify(i.firstSeen)),
          list.map((i) => i.firstSeen.observedAt),
          list.map((i) => i.firstSeen.messageId),
        ],
      );
      collect(inserted);
    }

    if (changes.olderFirstSeen.length > 0) {
      const list = changes.olderFirstSeen;
      await q(
        `UPDATE identity.identifiers i SET first_seen = u.f::jsonb, first_seen_at = u.fa,
           first_seen_message_id = u.fm, updated_at = now()
         FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
           AS u(t, v, f, fa, fm)
         WHERE i.workspace_id = $1 AND i.type = u.t AND i.value = u.v`,
        [
          ws,
          list.map((i) => i.identifier.type),
          list.map((i) => i.identifier.value),
          list.map((i) => JSON.stringify(i.firstSeen)),
          list.map((i) => i.firstSeen.observedAt),
          list.map((i) => i.firstSeen.messageId),
        ],
      );
    }

    // Profiles created by the batch are inserted at version 1 (what the bump would give).
    const created = new Set(changes.createdProfiles.map((p) => p.id));
    const changed = new Set(changes.changedProfiles.filter((id) => !created.has(id)));
    if (changes.links.length > 0) {
      const list = changes.links;
      const rows = await q<{ profile_id: string }[]>(
        `INSERT INTO identity.links AS l (workspace_id, link_hash, profile_id, identifiers,
           evidence, message_id, source_id, observed_at)
         SELECT $1, h, p, i::jsonb, e::jsonb, m, s, o
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::timestamptz[]) AS u(h, p, i, e, m, s, o)
         ON CONFLICT (workspace_id, link_hash) DO UPDATE SET
           profile_id = EXCLUDED.profile_id, identifiers = EXCLUDED.identifiers,
           evidence = EXCLUDED.evidence, message_id = EXCLUDED.message_id,
           source_id = EXCLUDED.source_id, observed_at = EXCLUDED.observed_at
         WHERE (EXCLUDED.observed_at, EXCLUDED.message_id COLLATE "C")
           < (l.observed_at, l.message_id COLLATE "C")
         RETURNING l.profile_id`,
        [
          ws,
          list.map((l) => linkHash(l.link)),
          list.map((l) => l.profileId),
          list.map((l) => JSON.stringify(l.link.identifiers)),
          list.map((l) => JSON.stringify(l.link.evidence)),
          list.map((l) => l.link.evidence.messageId),
          list.map((l) => l.link.evidence.sourceId),
          list.map((l) => l.link.evidence.observedAt),
        ],
      );
      for (const row of rows) if (!created.has(row.profile_id)) changed.add(row.profile_id);
    }

    if (changes.conflicts.length > 0) {
      const list = changes.conflicts;
      await q(
        `INSERT INTO identity.conflicts (workspace_id, message_id, dropped_type, dropped_value,
           rule, profile_ids, identifiers, limits, evidence, message)
         SELECT $1, m, dt, dv, r, ARRAY(SELECT jsonb_array_elements_text(p::jsonb)), i::jsonb,
           l::jsonb, e::jsonb, msg
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[], $9::text[], $10::text[]) AS u(m, dt, dv, r, p, i, l, e, msg)
         ON CONFLICT DO NOTHING`,
        [
          ws,
          list.map((c) => c.evidence.messageId),
          list.map((c) => c.dropped.type),
          list.map((c) => c.dropped.value),
          list.map((c) => c.rule),
          list.map((c) => JSON.stringify(c.profileIds)),
          list.map((c) => JSON.stringify(c.identifiers)),
          list.map((c) => (c.limits ? JSON.stringify(c.limits) : null)),
          list.map((c) => JSON.stringify(c.evidence)),
          list.map((c) => c.message),
        ],
      );
    }

    if (changed.size > 0)
      await q(
        `UPDATE identity.profiles SET version = version + 1, updated_at = now()
         WHERE workspace_id = $1 AND id = ANY($2::text[]) AND merged_into IS NULL`,
        [ws, [...changed]],
      );

    const outbox: OutboxInsert[] = [];
    if (changes.merges.length > 0) {
      const list = changes.merges;
      await q(
        `INSERT INTO identity.merge_ledger (workspace_id, merge_id, survivor_id, merged_ids,
           evidence_message_id, rule, identifiers, evidence, steps, actor)
         SELECT $1, id, s, ARRAY(SELECT jsonb_array_elements_text(m::jsonb)), em, r, i::jsonb,
           e::jsonb, st::jsonb, a::jsonb
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
           $8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS u(id, s, m, em, r, i, e, st, a, n)
         ORDER BY n`,
        [
          ws,
          list.map((m) => m.mergeId),
          list.map((m) => m.survivingProfileId),
          list.map((m) => JSON.stringify(m.mergedProfileIds)),
          list.map((m) => m.evidence[0]?.messageId ?? ''),
          list.map((m) => m.ruleId),
          list.map((m) => JSON.stringify(m.identifiers)),
          list.map((m) => JSON.stringify(m.evidence)),
          list.map((m) => JSON.stringify(m.steps)),
          list.map((m) => JSON.stringify(m.actor)),
        ],
      );
      for (const merged of list)
        outbox.push({
          kind: 'event',
          subject: eventSubject(SUBJECTS.profileMerged, ws),
          messageId: merged.mergeId,
          schema: PROFILE_MERGED_SCHEMA,
          payload: profileMergedJson(merged),
        });
    }
    if (mapChanges.length > 0) outbox.push({ kind: 'identity_map', payload: mapChanges });
    if (outbox.length > 0)
      await q(
        `INSERT INTO identity.outbox (workspace_id, kind, subject, message_id, schema, payload)
         SELECT $1, k, s, m, sc, p::jsonb
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
           WITH ORDINALITY AS u(k, s, m, sc, p, n) ORDER BY n`,
        [
          ws,
          outbox.map((o) => o.kind),
          outbox.map((o) => o.subject ?? null),
          outbox.map((o) => o.messageId ?? null),
          outbox.map((o) => o.schema ?? null),
          outbox.map((o) => JSON.stringify(o.payload)),
        ],
      );
  }
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
    // Keep the parts apart from now on (resolution rule separation.kept_apart).
    const tagged = event.parts.flatMap((part, index) =>
      part.identifiers.map((identifier) => ({ identifier, index })),
    );
    await this.manager.query(
      `INSERT INTO identity.separations (workspace_id, split_id, part, identifier_type,
         identifier_value)
       SELECT $1, $2, p, t, v FROM unnest($3::int[], $4::text[], $5::text[]) AS u(p, t, v)
       ON CONFLICT DO NOTHING`,
      [
        ws,
        event.splitId,
        tagged.map((t) => t.index),
        tagged.map((t) => t.identifier.type),
        tagged.map((t) => t.identifier.value),
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
