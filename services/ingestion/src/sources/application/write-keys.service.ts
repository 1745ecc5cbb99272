import { DomainError } from '@cdp/contracts';
import {
  apiKeyStatus,
  DEFAULT_ROTATION_GRACE_MS,
  hashSecret,
  planRotation,
  type ApiKeyStatus,
  type Clock,
  type KeyChangeBus,
  type TenantContext,
} from '@cdp/tenancy';
import {
  formatWriteKey,
  generateWriteKeyId,
  generateWriteKeySecret,
  isWriteKeyId,
  type WriteKey,
} from '../domain/write-key';
import { type WriteKeyRepository } from './ports';
import { type SourcesService } from './sources.service';

/** What the API shows of a write key: never the secret nor its hash. */
export interface WriteKeyView {
  readonly id: string;
  readonly sourceId: string;
  readonly status: ApiKeyStatus;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly rotatedAt: Date | null;
  readonly graceUntil: Date | null;
  readonly replacedBy: string | null;
  readonly rotatedFrom: string | null;
}

export interface IssuedWriteKey {
  readonly writeKey: WriteKeyView;
  /** `wk_<id><secret>`: shown once, never stored. */
  readonly plaintext: string;
}

export interface RotatedWriteKey extends IssuedWriteKey {
  readonly previous: WriteKeyView;
}

export function toWriteKeyView(key: WriteKey, now: Date): WriteKeyView {
  return {
    id: key.id,
    sourceId: key.sourceId,
    status: apiKeyStatus(key, now),
    createdAt: key.createdAt,
    revokedAt: key.revokedAt,
    rotatedAt: key.rotatedAt,
    graceUntil: key.graceUntil,
    replacedBy: key.replacedBy,
    rotatedFrom: key.rotatedFrom,
  };
}

function writeKeyNotFound(keyId: string): DomainError {
  return new DomainError('not_found', 'write_key.not_found', `write key ${keyId} not found`, {
    keyId,
  });
}

/** Write keys of a source: issue (plaintext once), list, rotate with a grace period, revoke. */
export class WriteKeysService {
  constructor(
    private readonly sources: SourcesService,
    private readonly keys: WriteKeyRepository,
    private readonly bus: KeyChangeBus,
    private readonly clock: Clock,
    private readonly rotationGraceMs: number = DEFAULT_ROTATION_GRACE_MS,
  ) {}

  async create(actor: TenantContext, sourceId: string): Promise<IssuedWriteKey> {
    const source = await this.sources.get(actor, sourceId);
    const { key, plaintext } = this.newKey(source.workspaceId, source.id, null);
    await this.keys.insert(key);
    return { writeKey: toWriteKeyView(key, this.clock.now()), plaintext };
  }

  async list(actor: TenantContext, sourceId: string): Promise<WriteKeyView[]> {
    const source = await this.sources.get(actor, sourceId);
    const now = this.clock.now();
    return (await this.keys.listBySource(source.workspaceId, source.id)).map((k) =>
      toWriteKeyView(k, now),
    );
  }

  /**
   * Issues a successor; the old key keeps working for the grace period (default 24 h, 0 = reject
   * at once), in every process: the broadcast drops cached records, and the grace end is
   * re-checked against the clock on every verification.
   */
  async rotate(
    actor: TenantContext,
    sourceId: string,
    keyId: string,
    options: { readonly graceMs?: number } = {},
  ): Promise<RotatedWriteKey> {
    const old = await this.load(actor, sourceId, keyId);
    const graceMs = options.graceMs ?? this.rotationGraceMs;
    const now = this.clock.now();
    const decision = planRotation(old, now, graceMs);
    if (!decision.ok) {
      throw new DomainError(
        'conflict',
        `write_key.${decision.reason}`,
        `write key ${keyId} cannot be rotated: ${decision.reason.replace('_', ' ')}`,
        { keyId },
      );
    }
    const { key: successor, plaintext } = this.newKey(old.workspaceId, old.sourceId, old.id);
    if (!(await this.keys.rotate(old.workspaceId, old.id, decision, successor))) {
      throw new DomainError(
        'conflict',
        'write_key.changed_concurrently',
        `write key ${keyId} was rotated or revoked concurrently`,
        { keyId },
      );
    }
    await this.bus.publish({ workspaceId: old.workspaceId, keyId: old.id, change: 'rotated' });
    const previous: WriteKey = {
      ...old,
      rotatedAt: decision.rotatedAt,
      graceUntil: decision.graceUntil,
      replacedBy: successor.id,
    };
    return {
      writeKey: toWriteKeyView(successor, now),
      plaintext,
      previous: toWriteKeyView(previous, now),
    };
  }

  /** Rejects the key in every process from now on. Idempotent (keeps the first date). */
  async revoke(actor: TenantContext, sourceId: string, keyId: string): Promise<WriteKeyView> {
    const source = await this.sources.get(actor, sourceId);
    if (!isWriteKeyId(keyId)) throw writeKeyNotFound(keyId);
    const revoked = await this.keys.revoke(source.workspaceId, source.id, keyId, this.clock.now());
    if (revoked === undefined) throw writeKeyNotFound(keyId);
    await this.bus.publish({ workspaceId: revoked.workspaceId, keyId, change: 'revoked' });
    return toWriteKeyView(revoked, this.clock.now());
  }

  private async load(actor: TenantContext, sourceId: string, keyId: string): Promise<WriteKey> {
    const source = await this.sources.get(actor, sourceId);
    if (!isWriteKeyId(keyId)) throw writeKeyNotFound(keyId);
    const key = await this.keys.find(source.workspaceId, source.id, keyId);
    if (key === undefined) throw writeKeyNotFound(keyId);
    return key;
  }

  private newKey(
    workspaceId: string,
    sourceId: string,
    rotatedFrom: string | null,
  ): { key: WriteKey; plaintext: string } {
    const id = generateWriteKeyId();
    const secret = generateWriteKeySecret();
    return {
      key: {
        id,
        workspaceId,
        sourceId,
        secretHash: hashSecret(secret),
        createdAt: this.clock.now(),
        expiresAt: null,
        revokedAt: null,
        rotatedAt: null,
        graceUntil: null,
        replacedBy: null,
        rotatedFrom,
      },
      plaintext: formatWriteKey(id, secret),
    };
  }
}
