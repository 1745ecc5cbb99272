import type { DataSource } from 'typeorm';
import { type ProfileCatalog } from '../application/define-computed-trait.use-case';
import { type ProfileReader } from '../application/profile-queries.service';
import { type JsonObject } from '../domain/json';
import { type ProfileState } from '../domain/profile-state';
import { stateFromRow } from './postgres-profile-store';

interface Row {
  id: string;
  version: string;
  merged_into: string | null;
  state: Record<string, unknown>;
}

const MAX_HOPS = 8;

/** Reads of the profile projection (no locks): one primary-key lookup per alias hop. */
export class PostgresProfileReader implements ProfileReader, ProfileCatalog {
  constructor(private readonly postgres: DataSource) {}

  async find(workspaceId: string, id: string): Promise<ProfileState | undefined> {
    let current = id;
    for (let hop = 0; hop <= MAX_HOPS; hop++) {
      const [row] = await this.postgres.query<Row[]>(
        `SELECT id, version, merged_into, state FROM profile.profiles
         WHERE workspace_id = $1 AND id = $2`,
        [workspaceId, current],
      );
      if (!row) return undefined;
      if (row.merged_into === null) return stateFromRow(row);
      current = row.merged_into;
    }
    return undefined;
  }

  async list(
    workspaceId: string,
    filter: JsonObject,
    after: string,
    limit: number,
  ): Promise<ProfileState[]> {
    const rows = await this.postgres.query<Row[]>(
      `SELECT id, version, merged_into, state FROM profile.profiles
       WHERE workspace_id = $1 AND merged_into IS NULL AND state ? 'registers'
         AND traits @> $2::jsonb AND id > $3
       ORDER BY id LIMIT $4`,
      [workspaceId, JSON.stringify(filter), after, limit],
    );
    return rows.map(stateFromRow).filter((s): s is ProfileState => s !== undefined);
  }

  async liveProfileIds(workspaceId: string, after: string, limit: number): Promise<string[]> {
    const rows = await this.postgres.query<{ id: string }[]>(
      `SELECT id FROM profile.profiles
       WHERE workspace_id = $1 AND merged_into IS NULL AND state ? 'registers' AND id > $2
       ORDER BY id LIMIT $3`,
      [workspaceId, after, limit],
    );
    return rows.map((r) => r.id);
  }
}
