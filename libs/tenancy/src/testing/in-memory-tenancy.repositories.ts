import { DomainError } from '@cdp/contracts';
import { type ApiKeyRepository, type WorkspaceRepository } from '../application/ports';
import { type ApiKey } from '../domain/api-key';
import { type Workspace } from '../domain/workspace';

/** Strict in-memory fakes with the same contract as the TypeORM repositories (unit tests). */
export class InMemoryWorkspaceRepository implements WorkspaceRepository {
  readonly rows = new Map<string, Workspace>();

  insert(workspace: Workspace): Promise<void> {
    if ([...this.rows.values()].some((w) => w.name === workspace.name)) {
      return Promise.reject(
        new DomainError(
          'conflict',
          'workspace.name_taken',
          `a workspace named "${workspace.name}" already exists`,
          { field: 'name' },
        ),
      );
    }
    this.rows.set(workspace.id, workspace);
    return Promise.resolve();
  }

  findById(id: string): Promise<Workspace | undefined> {
    return Promise.resolve(this.rows.get(id));
  }

  findByName(name: string): Promise<Workspace | undefined> {
    return Promise.resolve([...this.rows.values()].find((w) => w.name === name));
  }
}

export class InMemoryApiKeyRepository implements ApiKeyRepository {
  readonly rows = new Map<string, ApiKey>();
  /** Number of `findForVerification` calls (the verifier's database reads). */
  verificationReads = 0;

  insert(key: ApiKey): Promise<void> {
    if (this.rows.has(key.id)) return Promise.reject(new Error(`duplicate key id ${key.id}`));
    this.rows.set(key.id, key);
    return Promise.resolve();
  }

  findForVerification(keyId: string): Promise<ApiKey | undefined> {
    this.verificationReads++;
    return Promise.resolve(this.rows.get(keyId));
  }

  findInWorkspace(workspaceId: string, keyId: string): Promise<ApiKey | undefined> {
    const key = this.rows.get(keyId);
    return Promise.resolve(key?.workspaceId === workspaceId ? key : undefined);
  }

  listByWorkspace(workspaceId: string): Promise<ApiKey[]> {
    return Promise.resolve([...this.rows.values()].filter((k) => k.workspaceId === workspaceId));
  }

  revoke(workspaceId: string, keyId: string, at: Date): Promise<ApiKey | undefined> {
    const key = this.rows.get(keyId);
    if (key?.workspaceId !== workspaceId) return Promise.resolve(undefined);
    const revoked = key.revokedAt === null ? { ...key, revokedAt: at } : key;
    this.rows.set(keyId, revoked);
    return Promise.resolve(revoked);
  }

  rotate(
    workspaceId: string,
    keyId: string,
    rotation: { readonly rotatedAt: Date; readonly graceUntil: Date },
    successor: ApiKey,
  ): Promise<boolean> {
    const key = this.rows.get(keyId);
    if (key?.workspaceId !== workspaceId || key.revokedAt !== null || key.replacedBy !== null)
      return Promise.resolve(false);
    this.rows.set(keyId, {
      ...key,
      rotatedAt: rotation.rotatedAt,
      graceUntil: rotation.graceUntil,
      replacedBy: successor.id,
    });
    this.rows.set(successor.id, successor);
    return Promise.resolve(true);
  }
}

/** A clock tests move by hand. */
export class ManualClock {
  private current: number;

  constructor(start: Date | number = Date.UTC(2025, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(at: Date): void {
    this.current = at.getTime();
  }
}
