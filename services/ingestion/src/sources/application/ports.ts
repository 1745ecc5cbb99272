import { type Source } from '../domain/source';
import { type WriteKey } from '../domain/write-key';

/** Sources of a workspace. Every method filters by workspace. */
export interface SourceRepository {
  insert(source: Source): Promise<void>;
  find(workspaceId: string, sourceId: string): Promise<Source | undefined>;
  list(workspaceId: string): Promise<Source[]>;
  /** Writes the given fields; returns the updated row, undefined if not in the workspace. */
  update(
    workspaceId: string,
    sourceId: string,
    patch: Partial<Pick<Source, 'name' | 'enabled' | 'trackingPlanId'>>,
    at: Date,
  ): Promise<Source | undefined>;
  /** Deletes the source and its write keys; returns the ids of those keys, undefined if absent. */
  delete(workspaceId: string, sourceId: string): Promise<string[] | undefined>;
}

/** What the verifier needs to decide on a write key: the key and the state of its source. */
export interface WriteKeyRecord {
  readonly key: WriteKey;
  readonly source: {
    readonly id: string;
    readonly kind: Source['kind'];
    readonly enabled: boolean;
  };
}

export interface WriteKeyRepository {
  insert(key: WriteKey): Promise<void>;
  /** The only lookup not filtered by workspace: the workspace is what the key proves. */
  findForVerification(keyId: string): Promise<WriteKeyRecord | undefined>;
  find(workspaceId: string, sourceId: string, keyId: string): Promise<WriteKey | undefined>;
  listBySource(workspaceId: string, sourceId: string): Promise<WriteKey[]>;
  /** Sets `revoked_at` if not set yet (idempotent); undefined when not in the workspace/source. */
  revoke(
    workspaceId: string,
    sourceId: string,
    keyId: string,
    at: Date,
  ): Promise<WriteKey | undefined>;
  /** Marks `keyId` rotated (only if neither revoked nor replaced) and inserts the successor, atomically. */
  rotate(
    workspaceId: string,
    keyId: string,
    rotation: { readonly rotatedAt: Date; readonly graceUntil: Date },
    successor: WriteKey,
  ): Promise<boolean>;
}

/** Whether a tracking plan exists in a workspace (implemented by the tracking-plans feature). */
export interface TrackingPlanDirectory {
  exists(workspaceId: string, planId: string): Promise<boolean>;
}

export const SOURCE_REPOSITORY = Symbol.for('cdp.ingestion.source-repository');
export const WRITE_KEY_REPOSITORY = Symbol.for('cdp.ingestion.write-key-repository');
export const TRACKING_PLAN_DIRECTORY = Symbol.for('cdp.ingestion.tracking-plan-directory');
/** KeyChangeBus (@cdp/tenancy) on `SUBJECTS.ingestionWriteKeyChanged`. */
export const WRITE_KEY_CHANGE_BUS = Symbol.for('cdp.ingestion.write-key-change-bus');
