import type { DataSource, EntityManager } from 'typeorm';
import {
  type OwnedFact,
  type ProfileStore,
  type ProfileUnitOfWork,
  type ProfileUpdate,
} from '../application/profile-store.port';
import { type ProfileFact } from '../domain/profile-fact';
import { emptyProfile, type ProfileState } from '../domain/profile-state';
import { materialize } from '../domain/trait-register';
import { profileUpdatedJson, profileUpdatedMessageId, profileUpdatedSubject } from './profile-wire';

/** The `state` column: everything of ProfileState but its id, version and alias. */
type StoredState = Pick<ProfileState, 'registers' | 'builtin' | 'custom'>;

interface ProfileRow {
  id: string;
  version: string;
  merged_into: string | null;
  state: Partial<StoredState>;
}

/** A row reserved by `lock({create})` and not saved yet. */
const RESERVED = '{}';

export function stateFromRow(row: ProfileRow): ProfileState | undefined {
  if (row.state.registers === undefined) {
    if (row.merged_into === null) return undefined;
  }
  const base = emptyProfile(row.id);
  return {
    ...base,
    ...row.state,
    id: row.id,
    version: Number(row.version),
    ...(row.merged_into !== null ? { mergedInto: row.merged_into } : {}),
  };
}

/**
 * The profile projection in Postgres schema `profile`. Every method of a unit of work is one
 * set-based statement (rows as one JSON document through `jsonb_to_recordset`), so a batch of N events costs a handful of round
 * trips, not N.
 */
export class PostgresProfileStore implements ProfileStore {
  constructor(private readonly postgres: DataSource) {}

  transaction<T>(workspaceId: string, work: (uow: ProfileUnitOfWork) => Promise<T>): Promise<T> {
    return this.postgres.transaction((manager) =>
      work(new PostgresUnitOfWork(manager, workspaceId)),
    );
  }
}

class PostgresUnitOfWork implements ProfileUnitOfWork {
  constructor(
    private readonly manager: EntityManager,
    private readonly workspaceId: string,
  ) {}

  async claimMessage(consumer: string, messageId: string): Promise<boolean> {
    const rows = await this.manager.query<unknown[]>(
      `INSERT INTO profile.inbox (consumer, workspace_id, message_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [consumer, this.workspaceId, messageId],
    );
    return rows.length > 0;
  }

  async lock(
    ids: readonly string[],
    options: { create?: boolean } = {},
  ): Promise<Map<string, ProfileState>> {
    const sorted = [...new Set(ids)].sort();
    if (sorted.length === 0) return new Map();
    let rows = await this.selectForUpdate(sorted);
    const missing = options.create ? sorted.filter((id) => !rows.some((r) => r.id === id)) : [];
    if (missing.length > 0) {
      // Reserve the missing rows first so that two transactions creating the same profile
      // serialise on its row lock (the rows locked above stay locked).
      await this.manager.query(
        `INSERT INTO profile.profiles (workspace_id, id, state)
         SELECT $1, id, '${RESERVED}'::jsonb FROM unnest($2::text[]) AS t(id)
         ON CONFLICT DO NOTHING`,
        [this.workspaceId, missing],
      );
      rows = [...rows, ...(await this.selectForUpdate(missing))];
    }
    const found = new Map<string, ProfileState>();
    for (const row of rows) {
      const state = stateFromRow(row);
      if (state) found.set(row.id, state);
    }
    return found;
  }

  private selectForUpdate(sorted: readonly string[]): Promise<ProfileRow[]> {
    return this.manager.query<ProfileRow[]>(
      `SELECT id, version, merged_into, state FROM profile.profiles
       WHERE workspace_id = $1 AND id = ANY($2::text[]) ORDER BY id FOR UPDATE`,
      [this.workspaceId, sorted],
    );
  }

  async claimFacts(facts: readonly OwnedFact[]): Promise<Set<string>> {
    if (facts.length === 0) return new Set();
    const rows = await this.manager.query<{ message_id: string }[]>(
      `INSERT INTO profile.facts (workspace_id, message_id, profile_id, kind, at, fact)
       SELECT $1, m, p, k, a, f
       FROM jsonb_to_recordset($2::jsonb) AS t(m text, p text, k text, a timestamptz, f jsonb)
       ON CONFLICT DO NOTHING RETURNING message_id`,
      [
        this.workspaceId,
        JSON.stringify(
          facts.map((f) => ({
            m: f.fact.messageId,
            p: f.profileId,
            k: f.fact.kind,
            a: f.fact.at,
            f: f.fact,
          })),
        ),
      ],
    );
    return new Set(rows.map((r) => r.message_id));
  }

  async factsOf(profileIds: readonly string[]): Promise<OwnedFact[]> {
    const rows = await this.manager.query<{ profile_id: string; fact: ProfileFact }[]>(
      `SELECT profile_id, fact FROM profile.facts
       WHERE workspace_id = $1 AND profile_id = ANY($2::text[])`,
      [this.workspaceId, [...profileIds]],
    );
    return rows.map((r) => ({ profileId: r.profile_id, fact: r.fact }));
  }

  async assignFacts(owners: ReadonlyMap<string, string>): Promise<void> {
    if (owners.size === 0) return;
    await this.manager.query(
      `UPDATE profile.facts f SET profile_id = t.p
       FROM unnest($2::text[], $3::text[]) AS t(m, p)
       WHERE f.workspace_id = $1 AND f.message_id = t.m AND f.profile_id <> t.p`,
      [this.workspaceId, [...owners.keys()], [...owners.values()]],
    );
  }

  async moveOwned(from: string, to: string): Promise<void> {
    const params = [this.workspaceId, from, to];
    await this.manager.query(
      `UPDATE profile.facts SET profile_id = $3 WHERE workspace_id = $1 AND profile_id = $2`,
      params,
    );
    await this.manager.query(
      `UPDATE profile.notes SET profile_id = $3 WHERE workspace_id = $1 AND profile_id = $2`,
      params,
    );
    await this.manager.query(
      `UPDATE profile.files SET profile_id = $3 WHERE workspace_id = $1 AND profile_id = $2`,
      params,
    );
    await this.manager.query(
      `UPDATE profile.profiles SET merged_into = $3
       WHERE workspace_id = $1 AND merged_into = $2`,
      params,
    );
  }

  /**
   * One statement: the profiles upsert and, in a data-modifying CTE, the outbox rows of their
   * updates (one round trip less per step).
   */
  async save(
    states: readonly ProfileState[],
    updates: readonly ProfileUpdate[] = [],
  ): Promise<void> {
    if (states.length === 0 && updates.length === 0) return;
    await this.manager.query(
      `WITH saved AS (
         INSERT INTO profile.profiles (workspace_id, id, version, merged_into, traits, state)
         SELECT $1, id, v, m, t, s
         FROM jsonb_to_recordset($2::jsonb) AS u(id text, v bigint, m text, t jsonb, s jsonb)
         ON CONFLICT (workspace_id, id) DO UPDATE SET version = excluded.version,
           merged_into = excluded.merged_into, traits = excluded.traits, state = excluded.state,
           updated_at = now()
         RETURNING 1
       )
       INSERT INTO profile.outbox (workspace_id, subject, message_id, payload)
       SELECT $1, $3, m, p FROM jsonb_to_recordset($4::jsonb) AS t(m text, p jsonb)`,
      [
        this.workspaceId,
        // One JSON document, not arrays of JSON strings: no array-literal escaping per value.
        JSON.stringify(
          states.map((s) => ({
            id: s.id,
            v: s.version,
            m: s.mergedInto ?? null,
            t: s.mergedInto ? {} : materialize(s.registers),
            s: {
              registers: s.registers,
              builtin: s.builtin,
              custom: s.custom,
            } satisfies StoredState,
          })),
        ),
        profileUpdatedSubject(this.workspaceId),
        JSON.stringify(
          updates.map((u) => ({ m: profileUpdatedMessageId(u), p: profileUpdatedJson(u) })),
        ),
      ],
    );
  }
}
