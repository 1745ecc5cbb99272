import type { DataSource } from 'typeorm';
import { type IdentityConfigInput } from '../domain/identity-config';
import {
  type IdentityConfigStore,
  type StoredIdentityConfig,
} from '../application/identity-config.service';

interface Row {
  config: IdentityConfigInput;
  version: number;
  updated_at: Date;
  updated_by: string;
}

/** `identity.workspace_configs`: one row per configured workspace, replaced whole. */
export class PostgresIdentityConfigStore implements IdentityConfigStore {
  constructor(private readonly dataSource: DataSource) {}

  async load(workspaceId: string): Promise<StoredIdentityConfig | undefined> {
    const rows = await this.dataSource.query<Row[]>(
      `SELECT config, version, updated_at, updated_by FROM identity.workspace_configs
       WHERE workspace_id = $1`,
      [workspaceId],
    );
    return rows[0] ? stored(rows[0]) : undefined;
  }

  async save(
    workspaceId: string,
    input: IdentityConfigInput,
    actor: string,
  ): Promise<StoredIdentityConfig> {
    const [row] = await this.dataSource.query<Row[]>(
      `INSERT INTO identity.workspace_configs (workspace_id, config, updated_by)
       VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id) DO UPDATE SET config = EXCLUDED.config,
         version = workspace_configs.version + 1, updated_at = now(),
         updated_by = EXCLUDED.updated_by
       RETURNING config, version, updated_at, updated_by`,
      [workspaceId, JSON.stringify(input), actor],
    );
    if (!row) throw new Error('workspace config upsert returned no row');
    return stored(row);
  }
}

function stored(row: Row): StoredIdentityConfig {
  return {
    input: row.config,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}
