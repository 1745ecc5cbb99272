import { DomainError } from '@cdp/contracts';
import { IsNull, QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { type ApiKeyRepository, type WorkspaceRepository } from '../application/ports';
import { type ApiKey } from '../domain/api-key';
import { isKeyId } from '../domain/api-key-format';
import { isScope, type Scope } from '../domain/scopes';
import { isWorkspaceId, type Workspace } from '../domain/workspace';
import { ApiKeyEntity, WorkspaceEntity } from './tenancy.entities';

function isUniqueViolation(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string } | undefined)?.code === '23505'
  );
}

function toWorkspace(row: WorkspaceEntity): Workspace {
  return { id: row.id, name: row.name, createdAt: row.createdAt };
}

function toApiKey(row: ApiKeyEntity): ApiKey {
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    // Scopes removed from the vocabulary in a later version simply stop granting anything.
    scopes: row.scopes.filter((s): s is Scope => isScope(s)),
    secretHash: row.secretHash,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    revokedAt: row.revokedAt,
    rotatedAt: row.rotatedAt,
    graceUntil: row.graceUntil,
    replacedBy: row.replacedBy,
    rotatedFrom: row.rotatedFrom,
  };
}

function toRow(key: ApiKey): ApiKeyEntity {
  return Object.assign(new ApiKeyEntity(), { ...key, scopes: [...key.scopes] });
}

export class TypeOrmWorkspaceRepository implements WorkspaceRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Whether any workspace exists yet (start-up hint to run `cdp bootstrap`). */
  async any(): Promise<boolean> {
    return (await this.dataSource.getRepository(WorkspaceEntity).count({ take: 1 })) > 0;
  }

  async insert(workspace: Workspace): Promise<void> {
    try {
      await this.dataSource.getRepository(WorkspaceEntity).insert({ ...workspace });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(
          'conflict',
          'workspace.name_taken',
          `a workspace named "${workspace.name}" already exists`,
          { field: 'name' },
        );
      }
      throw error;
    }
  }

  async findById(id: string): Promise<Workspace | undefined> {
    if (!isWorkspaceId(id)) return undefined;
    const row = await this.dataSource.getRepository(WorkspaceEntity).findOneBy({ id });
    return row === null ? undefined : toWorkspace(row);
  }

  async findByName(name: string): Promise<Workspace | undefined> {
    const row = await this.dataSource.getRepository(WorkspaceEntity).findOneBy({ name });
    return row === null ? undefined : toWorkspace(row);
  }
}

/** Every query but `findForVerification` filters by `workspace_id`. */
export class TypeOrmApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(key: ApiKey): Promise<void> {
    await this.dataSource.getRepository(ApiKeyEntity).insert(toRow(key));
  }

  async findForVerification(keyId: string): Promise<ApiKey | undefined> {
    if (!isKeyId(keyId)) return undefined;
    const row = await this.dataSource.getRepository(ApiKeyEntity).findOneBy({ id: keyId });
    return row === null ? undefined : toApiKey(row);
  }

  async findInWorkspace(workspaceId: string, keyId: string): Promise<ApiKey | undefined> {
    return this.findScoped(this.dataSource.manager, workspaceId, keyId);
  }

  async listByWorkspace(workspaceId: string): Promise<ApiKey[]> {
    if (!isWorkspaceId(workspaceId)) return [];
    const rows = await this.dataSource
      .getRepository(ApiKeyEntity)
      .find({ where: { workspaceId }, order: { createdAt: 'ASC', id: 'ASC' } });
    return rows.map(toApiKey);
  }

  async revoke(workspaceId: string, keyId: string, at: Date): Promise<ApiKey | undefined> {
    if (!isWorkspaceId(workspaceId) || !isKeyId(keyId)) return undefined;
    return this.dataSource.transaction(async (manager) => {
      // Conditional: a second revoke keeps the first date.
      await manager
        .getRepository(ApiKeyEntity)
        .update({ workspaceId, id: keyId, revokedAt: IsNull() }, { revokedAt: at });
      return this.findScoped(manager, workspaceId, keyId);
    });
  }

  async rotate(
    workspaceId: string,
    keyId: string,
    rotation: { readonly rotatedAt: Date; readonly graceUntil: Date },
    successor: ApiKey,
  ): Promise<boolean> {
    if (!isWorkspaceId(workspaceId) || !isKeyId(keyId)) return false;
    return this.dataSource.transaction(async (manager) => {
      const result = await manager.getRepository(ApiKeyEntity).update(
        { workspaceId, id: keyId, revokedAt: IsNull(), replacedBy: IsNull() },
        {
          rotatedAt: rotation.rotatedAt,
          graceUntil: rotation.graceUntil,
          replacedBy: successor.id,
        },
      );
      if (result.affected !== 1) return false;
      await manager.getRepository(ApiKeyEntity).insert(toRow(successor));
      return true;
    });
  }

  private async findScoped(
    manager: EntityManager,
    workspaceId: string,
    keyId: string,
  ): Promise<ApiKey | undefined> {
    if (!isWorkspaceId(workspaceId) || !isKeyId(keyId)) return undefined;
    const row = await manager.getRepository(ApiKeyEntity).findOneBy({ workspaceId, id: keyId });
    return row === null ? undefined : toApiKey(row);
  }
}
