import type { DataSource } from 'typeorm';
import { DomainError } from '@cdp/contracts';
import { type EventStep, type SegmentDefinition } from '../domain/definition';
import { type MatcherKey } from '../domain/event-matcher';
import {
  type BatchReads,
  type MatcherRegistry,
  type SegmentStore,
  type StoredSegment,
} from '../application/ports';

interface SegmentRow {
  workspace_id: string;
  id: string;
  name: string;
  description: string;
  version: number;
  definition: SegmentDefinition;
  created_at: Date;
  updated_at: Date;
  last_evaluation: Record<string, unknown> | null;
}

const COLUMNS = `workspace_id, id, name, description, version, definition, created_at, updated_at, last_evaluation`;

function toSegment(row: SegmentRow): StoredSegment {
  return {
    workspaceId: row.workspace_id,
    id: row.id,
    name: row.name,
    description: row.description,
    version: row.version,
    definition: row.definition,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    lastEvaluation: row.last_evaluation,
  };
}

export class PostgresSegmentStore implements SegmentStore, MatcherRegistry, BatchReads {
  constructor(private readonly postgres: DataSource) {}

  async list(ws: string): Promise<StoredSegment[]> {
    const rows = await this.postgres.query<SegmentRow[]>(
      `SELECT ${COLUMNS} FROM segmentation.segments WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY created_at, id`,
      [ws],
    );
    return rows.map(toSegment);
  }

  async get(ws: string, id: string): Promise<StoredSegment | undefined> {
    const rows = await this.postgres.query<SegmentRow[]>(
      `SELECT ${COLUMNS} FROM segmentation.segments WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL`,
      [ws, id],
    );
    return rows[0] ? toSegment(rows[0]) : undefined;
  }

  async references(ws: string): Promise<Map<string, Set<string>>> {
    const rows = await this.postgres.query<{ id: string; segment_refs: string[] }[]>(
      `SELECT id, segment_refs FROM segmentation.segments WHERE workspace_id = $1 AND deleted_at IS NULL`,
      [ws],
    );
    return new Map(rows.map((r) => [r.id, new Set(r.segment_refs)]));
  }

  async create(segment: {
    workspaceId: string;
    id: string;
    name: string;
    description: string;
    definition: SegmentDefinition;
    refs: readonly string[];
  }): Promise<StoredSegment> {
    return this.postgres.transaction(async (db) => {
      const rows = await db.query<SegmentRow[]>(
        `INSERT INTO segmentation.segments (workspace_id, id, name, description, version, definition, segment_refs)
         VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING ${COLUMNS}`,
        [
          segment.workspaceId,
          segment.id,
          segment.name,
          segment.description,
          JSON.stringify(segment.definition),
          [...segment.refs],
        ],
      );
      await db.query(
        `INSERT INTO segmentation.segment_versions (workspace_id, segment_id, version, definition) VALUES ($1, $2, 1, $3)`,
        [segment.workspaceId, segment.id, JSON.stringify(segment.definition)],
      );
      const row = rows[0];
      if (!row) throw new Error('segment insert returned nothing');
      return toSegment(row);
    });
  }

  async update(
    ws: string,
    id: string,
    patch: {
      name?: string;
      description?: string;
      definition?: SegmentDefinition;
      refs?: readonly string[];
    },
    expectedVersion?: number,
  ): Promise<StoredSegment> {
    return this.postgres.transaction(async (db) => {
      const current = await db.query<SegmentRow[]>(
        `SELECT ${COLUMNS} FROM segmentation.segments WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE`,
        [ws, id],
      );
      const row = current[0];
      if (!row) throw new DomainError('not_found', 'segment.not_found', `segment ${id} not found`);
      if (expectedVersion !== undefined && expectedVersion !== row.version)
        throw new DomainError(
          'conflict',
          'segment.version_conflict',
          `segment ${id} is at version ${row.version}`,
          {
            version: row.version,
          },
        );
      const definitionChanged =
        patch.definition !== undefined &&
        JSON.stringify(patch.definition) !== JSON.stringify(row.definition);
      const version = definitionChanged ? row.version + 1 : row.version;
      const rows = await db.query<SegmentRow[]>(
        `UPDATE segmentation.segments SET name = $3, description = $4, version = $5, definition = $6,
           segment_refs = COALESCE($7, segment_refs), updated_at = now()
         WHERE workspace_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [
          ws,
          id,
          patch.name ?? row.name,
          patch.description ?? row.description,
          version,
          JSON.stringify(definitionChanged ? patch.definition : row.definition),
          patch.refs ? [...patch.refs] : null,
        ],
      );
      if (definitionChanged)
        await db.query(
          `INSERT INTO segmentation.segment_versions (workspace_id, segment_id, version, definition) VALUES ($1, $2, $3, $4)`,
          [ws, id, version, JSON.stringify(patch.definition)],
        );
      const updated = rows[0];
      if (!updated) throw new Error('segment update returned nothing');
      return toSegment(updated);
    });
  }

  async delete(ws: string, id: string): Promise<boolean> {
    const rows = await this.postgres.query<[unknown[], number]>(
      `UPDATE segmentation.segments SET deleted_at = now() WHERE workspace_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id`,
      [ws, id],
    );
    return rows[1] > 0;
  }

  async referencedBy(ws: string, id: string): Promise<string[]> {
    const rows = await this.postgres.query<{ id: string }[]>(
      `SELECT id FROM segmentation.segments WHERE workspace_id = $1 AND deleted_at IS NULL AND $2 = ANY(segment_refs)`,
      [ws, id],
    );
    return rows.map((r) => r.id);
  }

  async recordEvaluation(ws: string, id: string, summary: Record<string, unknown>): Promise<void> {
    await this.postgres.query(
      `UPDATE segmentation.segments SET last_evaluation = $3 WHERE workspace_id = $1 AND id = $2`,
      [ws, id, JSON.stringify(summary)],
    );
  }

  async version(ws: string, id: string, version: number): Promise<SegmentDefinition | undefined> {
    const rows = await this.postgres.query<{ definition: SegmentDefinition }[]>(
      `SELECT definition FROM segmentation.segment_versions WHERE workspace_id = $1 AND segment_id = $2 AND version = $3`,
      [ws, id, version],
    );
    return rows[0]?.definition;
  }

  async workspaces(): Promise<string[]> {
    const rows = await this.postgres.query<{ workspace_id: string }[]>(
      `SELECT DISTINCT workspace_id FROM segmentation.segments WHERE deleted_at IS NULL`,
    );
    return rows.map((r) => r.workspace_id);
  }

  // MatcherRegistry

  async register(ws: string, steps: ReadonlyMap<MatcherKey, EventStep>): Promise<MatcherKey[]> {
    if (steps.size === 0) return [];
    const rows = await this.postgres.query<{ matcher_key: string }[]>(
      `INSERT INTO segmentation.matchers (workspace_id, matcher_key, step)
       SELECT $1, k, s::jsonb FROM unnest($2::text[], $3::text[]) AS x(k, s)
       ON CONFLICT DO NOTHING RETURNING matcher_key`,
      [ws, [...steps.keys()], [...steps.values()].map((s) => JSON.stringify(s))],
    );
    const fresh = new Set(rows.map((r) => r.matcher_key));
    // A matcher whose backfill never finished (crash) is backfilled again: hits are idempotent.
    const unfinished = await this.postgres.query<{ matcher_key: string }[]>(
      `SELECT matcher_key FROM segmentation.matchers WHERE workspace_id = $1 AND matcher_key = ANY($2) AND NOT backfilled`,
      [ws, [...steps.keys()]],
    );
    for (const r of unfinished) fresh.add(r.matcher_key);
    return [...fresh];
  }

  async markBackfilled(ws: string, key: MatcherKey): Promise<void> {
    await this.postgres.query(
      `UPDATE segmentation.matchers SET backfilled = true WHERE workspace_id = $1 AND matcher_key = $2`,
      [ws, key],
    );
  }

  // BatchReads

  async *profilePages(ws: string, pageSize: number): AsyncIterable<string[]> {
    let after = '';
    for (;;) {
      const rows = await this.postgres.query<{ profile_id: string }[]>(
        // Ordered like the primary key so each page is an index range scan, not a scan + sort.
        `SELECT profile_id FROM segmentation.profiles WHERE workspace_id = $1 AND profile_id > $2 AND merged_into IS NULL
         ORDER BY workspace_id, profile_id LIMIT $3`,
        [ws, after, pageSize],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => r.profile_id);
      after = rows[rows.length - 1]?.profile_id ?? after;
      if (rows.length < pageSize) return;
    }
  }

  async profilesWithContacts(ws: string): Promise<Set<string>> {
    const rows = await this.postgres.query<{ profile_id: string }[]>(
      `SELECT DISTINCT profile_id FROM segmentation.crm_contacts WHERE workspace_id = $1 AND profile_id IS NOT NULL AND NOT archived`,
      [ws],
    );
    return new Set(rows.map((r) => r.profile_id));
  }

  async members(ws: string, segmentId: string): Promise<Set<string>> {
    const rows = await this.postgres.query<{ profile_id: string }[]>(
      `SELECT profile_id FROM segmentation.memberships WHERE workspace_id = $1 AND segment_id = $2 AND exited_at IS NULL`,
      [ws, segmentId],
    );
    return new Set(rows.map((r) => r.profile_id));
  }

  async changedSince(ws: string, since: number): Promise<Set<string>> {
    const rows = await this.postgres.query<{ profile_id: string }[]>(
      `SELECT profile_id FROM segmentation.profiles WHERE workspace_id = $1 AND changed_at > to_timestamp($2 / 1000.0)`,
      [ws, since],
    );
    return new Set(rows.map((r) => r.profile_id));
  }

  async now(): Promise<number> {
    const rows = await this.postgres.query<{ now: string }[]>(
      `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now`,
    );
    return Math.floor(Number(rows[0]?.now ?? Date.now()));
  }

  async windowExpiries(
    ws: string,
    key: MatcherKey,
    spanMs: number,
    now: number,
  ): Promise<Map<string, number>> {
    const rows = await this.postgres.query<{ profile_id: string; due: string }[]>(
      `SELECT profile_id, (extract(epoch FROM min(occurred_at)) * 1000)::float8 + $3 + 1 AS due FROM segmentation.hits
       WHERE workspace_id = $1 AND matcher_key = $2 AND occurred_at >= to_timestamp(($4 - $3) / 1000.0)
         AND occurred_at <= to_timestamp($4 / 1000.0)
       GROUP BY profile_id`,
      [ws, key, spanMs, now],
    );
    return new Map(rows.map((r) => [r.profile_id, Math.round(Number(r.due))]));
  }
}
