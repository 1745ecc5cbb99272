import { type ApiKey } from '../domain/api-key';
import { type Scope } from '../domain/scopes';
import { type Workspace } from '../domain/workspace';

/** Who is calling: the verified key, as the guard attaches it to the request. */
export interface TenantContext {
  readonly workspaceId: string;
  readonly keyId: string;
  readonly scopes: readonly Scope[];
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface WorkspaceRepository {
  /** Throws DomainError conflict `workspace.name_taken` when the name exists. */
  insert(workspace: Workspace): Promise<void>;
  findById(id: string): Promise<Workspace | undefined>;
  findByName(name: string): Promise<Workspace | undefined>;
}

export interface ApiKeyRepository {
  insert(key: ApiKey): Promise<void>;
  /**
   * The only lookup not filtered by workspace, used by the verifier alone: the workspace is
   * what the key proves, so it cannot be an input.
   */
  findForVerification(keyId: string): Promise<ApiKey | undefined>;
  findInWorkspace(workspaceId: string, keyId: string): Promise<ApiKey | undefined>;
  listByWorkspace(workspaceId: string): Promise<ApiKey[]>;
  /** Sets `revoked_at` if not set yet (idempotent); returns the row, undefined if not in the workspace. */
  revoke(workspaceId: string, keyId: string, at: Date): Promise<ApiKey | undefined>;
  /**
   * Atomically marks `keyId` rotated (only if still not revoked nor replaced) and inserts its
   * successor. Returns false, writing nothing, when the old key changed concurrently.
   */
  rotate(
    workspaceId: string,
    keyId: string,
    rotation: { readonly rotatedAt: Date; readonly graceUntil: Date },
    successor: ApiKey,
  ): Promise<boolean>;
}

/**
 * `owner_changed`: what the key belongs to changed (e.g. an ingestion source was disabled): drop
 * the cached record and re-read it. Secret API keys never use it.
 */
export type KeyChange = 'revoked' | 'rotated' | 'owner_changed';

export interface KeyChangedEvent {
  readonly workspaceId: string;
  readonly keyId: string;
  readonly change: KeyChange;
}

/**
 * Broadcasts key changes to every process (its own included) so each drops the key from its
 * cache at once. `onResync` fires when changes may have been missed (e.g. a NATS reconnect):
 * listeners then drop everything.
 */
export interface KeyChangeBus {
  publish(event: KeyChangedEvent): Promise<void>;
  onKeyChanged(listener: (event: KeyChangedEvent) => void): () => void;
  onResync(listener: () => void): () => void;
}
