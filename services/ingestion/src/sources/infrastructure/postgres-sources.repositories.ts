import { type DataSource } from 'typeorm';
import { isWorkspaceId } from '@cdp/tenancy';
import { isSourceId, type Source, type SourceKind } from '../domain/source';
import { isWriteKeyId, type WriteKey } from '../domain/write-key';
import {
  type SourceRepository,
  type WriteKeyRecord,
  type WriteKeyRepository,
} from '../application/ports';

interface SourceRow {
  id: string;
  workspace_id: string;
  name: string;
  kind: SourceKind;
  enabled: boolean;
  tracking_plan_id: string | null;
  created_at: Date;
  updated_at: Date;
}

interface WriteKeyRow {
  id: string;
  workspace_id: string;
  source_id: string;
  secret_hash: string;
  created_at: Date;
  revoked_at: Date | null;
  rotated_at: Date | null;
  grace_until: Date | null;
  replaced_by: string | null;
  rotated_from: string | null;
}

const SOURCE_COLUMNS = `id, workspace_id, name, kind, enabled, tracking_plan_id, created_at, updated_at`;
const KEY_COLUMNS = `id, workspace_id, source_id, secret_hash, created_at, revoked_at, rotated_at, grace_until, replaced_by, rotated_from`;

function toSource(row: SourceRow): Source {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    name: row.name,
    kind: row.kind,
    enabled: row.enabled,
    trackingPlanId: row.tracking_plan_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toWriteKey(row: WriteKeyRow): WriteKey {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    sourceId: row.source_id,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    expiresAt: null,
    revokedAt: row.revoked_at,
    rotatedAt: row.rotated_at,
    graceUntil: row.grace_until,
    replacedBy: row.replaced_by,
    rotatedFrom: row.rotated_from,
  };
}

const valid = (workspaceId: string, sourceId: string) =>
  isWorkspaceId(workspaceId) && isSourceId(sourceId);

/** Sources in Postgres (raw SQL, every query filtered by workspace). */
export class PostgresSourceRepository implements SourceRepository {
  constructor(private readonly db: DataSource) {}

  async insert(source: Source): Promise<void> {
    await this.db.query(
      `INSERT INTO ingestion.sources (${SOURCE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        source.id,
        source.workspaceId,
        source.name,
        source.kind,
        source.enabled,
        source.trackingPlanId,
        source.createdAt,
        source.updatedAt,
      ],
    );
  }

  async find(workspaceId: string, sourceId: string): Promise<Source | undefined> {
    if (!valid(workspaceId, sourceId)) return undefined;
    const rows: SourceRow[] = await this.db.query(
      `SELECT ${SOURCE_COLUMNS} FROM ingestion.sources WHERE workspace_id = $1 AND id = $2`,
      [workspaceId, sourceId],
    );
    return rows[0] === undefined ? undefined : toSource(rows[0]);
  }

  async list(workspaceId: string): Promise<Source[]> {
    if (!isWorkspaceId(workspaceId)) return [];
    const rows: SourceRow[] = await this.db.query(
      `SELECT ${SOURCE_COLUMNS} FROM ingestion.sources WHERE workspace_id = $1 ORDER BY created_at, id`,
      [workspaceId],
    );
    return rows.map(toSource);
  }

  async update(
    workspaceId: string,
    sourceId: string,
    patch: Partial<Pick<Source, 'name' | 'enabled' | 'trackingPlanId'>>,
    at: Date,
  ): Promise<Source | undefined> {
    if (!valid(workspaceId, sourceId)) return undefined;
    const sets: string[] = ['updated_at = $3'];
    const params: unknown[] = [workspaceId, sourceId, at];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.enabled !== undefined) set('enabled', patch.enabled);
    if (patch.trackingPlanId !== undefined) set('tracking_plan_id', patch.trackingPlanId);
    const [rows] = await this.db.query<[SourceRow[], number]>(
      `UPDATE ingestion.sources SET ${sets.join(', ')} WHERE workspace_id = $1 AND id = $2 RETURNING ${SOURCE_COLUMNS}`,
      params,
    );
    return rows[0] === undefined ? undefined : toSource(rows[0]);
  }

  async delete(workspaceId: string, sourceId: string): Promise<string[] | undefined> {
    if (!valid(workspaceId, sourceId)) return undefined;
    return this.db.transaction(async (manager) => {
      const keys: { id: string }[] = await manager.query(
        `SELECT id FROM ingestion.write_keys WHERE workspace_id = $1 AND source_id = $2`,
        [workspaceId, sourceId],
      );
      const [deleted] = await manager.query<[unknown[], number]>(
        `DELETE FROM ingestion.sources WHERE workspace_id = $1 AND id = $2 RETURNING id`,
        [workspaceId, sourceId],
      );
      return deleted.length === 0 ? undefined : keys.map((k) => k.id);
    });
  }
}

/** Write keys in Postgres; every query but the verifier's filters by workspace. */
export class PostgresWriteKeyRepository implements WriteKeyRepository {
  constructor(private readonly db: DataSource) {}

  async insert(key: WriteKey): Promise<void> {
    await this.db.query(
      `INSERT INTO ingestion.write_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        key.id,
        key.workspaceId,
        key.sourceId,
        key.secretHash,
        key.createdAt,
        key.revokedAt,
        key.rotatedAt,
        key.graceUntil,
        key.replacedBy,
        key.rotatedFrom,
      ],
    );
  }

  async find(workspaceId: string, sourceId: string, keyId: string): Promise<WriteKey | undefined> {
    if (!valid(workspaceId, sourceId) || !isWriteKeyId(keyId)) return undefined;
    const rows: WriteKeyRow[] = await this.db.query(
      `SELECT ${KEY_COLUMNS} FROM ingestion.write_keys WHERE workspace_id = $1 AND source_id = $2 AND id = $3`,
      [workspaceId, sourceId, keyId],
    );
    return rows[0] === undefined ? undefined : toWriteKey(rows[0]);
  }

  async findForVerification(keyId: string): Promise<WriteKeyRecord | undefined> {
    if (!isWriteKeyId(keyId)) return undefined;
    const rows: (WriteKeyRow & { kind: SourceKind; enabled: boolean })[] = await this.db.query(
      `SELECT k.id, k.workspace_id, k.source_id, k.secret_hash, k.created_at, k.revoked_at,
              k.rotated_at, k.grace_until, k.replaced_by, k.rotated_from, s.kind, s.enabled
         FROM ingestion.write_keys k
         JOIN ingestion.sources s ON s.id = k.source_id AND s.workspace_id = k.workspace_id
        WHERE k.id = $1`,
      [keyId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      key: toWriteKey(row),
      source: { id: row.source_id, kind: row.kind, enabled: row.enabled },
    };
  }

  async listBySource(workspaceId: string, sourceId: string): Promise<WriteKey[]> {
    if (!valid(workspaceId, sourceId)) return [];
    const rows: WriteKeyRow[] = await this.db.query(
      `SELECT ${KEY_COLUMNS} FROM ingestion.write_keys WHERE workspace_id = $1 AND source_id = $2 ORDER BY created_at, id`,
      [workspaceId, sourceId],
    );
    return rows.map(toWriteKey);
  }

  async revoke(
    workspaceId: string,
    sourceId: string,
    keyId: string,
    at: Date,
  ): Promise<WriteKey | undefined> {
    if (!valid(workspaceId, sourceId) || !isWriteKeyId(keyId)) return undefined;
    // Conditional: a second revoke keeps the first date.
    await this.db.query(
      `UPDATE ingestion.write_keys SET revoked_at = $4
        WHERE workspace_id = $1 AND source_id = $2 AND id = $3 AND revoked_at IS NULL`,
      [workspaceId, sourceId, keyId, at],
    );
    return this.find(workspaceId, sourceId, keyId);
  }

  async rotate(
    workspaceId: string,
    keyId: string,
    rotation: { readonly rotatedAt: Date; readonly graceUntil: Date },
    successor: WriteKey,
  ): Promise<boolean> {
    if (!isWorkspaceId(workspaceId) || !isWriteKeyId(keyId)) return false;
    return this.db.transaction(async (manager) => {
      const [updated] = await manager.query<[unknown[], number]>(
        `UPDATE ingestion.write_keys SET rotated_at = $3, grace_until = $4, replaced_by = $5
          WHERE workspace_id = $1 AND id = $2 AND revoked_at IS NULL AND replaced_by IS NULL
          RETURNING id`,
        [workspaceId, keyId, rotation.rotatedAt, rotation.graceUntil, successor.id],
      );
      if (updated.length !== 1) return false;
      await manager.query(
        `INSERT INTO ingestion.write_keys (${KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, NULL, $6)`,
        [
          successor.id,
          successor.workspaceId,
          successor.sourceId,
          successor.secretHash,
          successor.createdAt,
          successor.rotatedFrom,
        ],
      );
      return true;
    });
  }
}
