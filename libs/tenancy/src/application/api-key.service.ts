import { DomainError } from '@cdp/contracts';
import {
  apiKeyStatus,
  DEFAULT_ROTATION_GRACE_MS,
  planRotation,
  type ApiKey,
  type ApiKeyStatus,
} from '../domain/api-key';
import { formatApiKey, generateKeyId, generateSecret, isKeyId } from '../domain/api-key-format';
import { hashSecret } from '../domain/key-hash';
import { isScope, missingScopes, normalizeScopes, type Scope } from '../domain/scopes';
import { type ApiKeyRepository, type Clock, type KeyChangeBus, type TenantContext } from './ports';

/** What the API shows of a key: never the secret nor its hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly status: ApiKeyStatus;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly rotatedAt: Date | null;
  readonly graceUntil: Date | null;
  readonly replacedBy: string | null;
  readonly rotatedFrom: string | null;
}

/** A key just created: the only moment its plaintext exists outside the caller's hands. */
export interface IssuedApiKey {
  readonly apiKey: ApiKeyView;
  /** `cdp_sk_<id>_<secret>`: shown once, never stored, never retrievable again. */
  readonly plaintext: string;
}

export interface RotatedApiKey extends IssuedApiKey {
  readonly previous: ApiKeyView;
}

export interface CreateApiKeyInput {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiresAt?: Date | null;
}

export interface ApiKeyServiceOptions {
  /** How long a rotated key stays valid (default 24 h). */
  readonly rotationGraceMs?: number;
}

export const API_KEY_NAME_MAX_LENGTH = 100;

export function toApiKeyView(key: ApiKey, now: Date): ApiKeyView {
  return {
    id: key.id,
    workspaceId: key.workspaceId,
    name: key.name,
    scopes: key.scopes,
    status: apiKeyStatus(key, now),
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    revokedAt: key.revokedAt,
    rotatedAt: key.rotatedAt,
    graceUntil: key.graceUntil,
    replacedBy: key.replacedBy,
    rotatedFrom: key.rotatedFrom,
  };
}

function keyNotFound(keyId: string): DomainError {
  // Same answer for "does not exist" and "belongs to another workspace": never reveal existence.
  return new DomainError('not_found', 'api_key.not_found', `API key ${keyId} not found`, { keyId });
}

/** Secret API keys of a workspace: issue (plaintext once), list, get, rotate, revoke. */
export class ApiKeyService {
  private readonly rotationGraceMs: number;

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly bus: KeyChangeBus,
    private readonly clock: Clock,
    options: ApiKeyServiceOptions = {},
  ) {
    this.rotationGraceMs = options.rotationGraceMs ?? DEFAULT_ROTATION_GRACE_MS;
  }

  /** Creates a key in the caller's workspace; the caller may only delegate scopes it holds. */
  async create(actor: TenantContext, input: CreateApiKeyInput): Promise<IssuedApiKey> {
    const scopes = this.validScopes(input.scopes);
    const escalation = missingScopes(actor.scopes, scopes);
    if (escalation.length > 0) {
      throw new DomainError(
        'forbidden',
        'api_key.scope_escalation',
        'a key cannot grant scopes it does not hold',
        {
          scopes: escalation,
        },
      );
    }
    return this.issue(actor.workspaceId, { ...input, scopes });
  }

  /**
   * Issues a key without checking a caller: for trusted code only (bootstrap, operators' CLI).
   * HTTP goes through `create`.
   */
  async issue(
    workspaceId: string,
    input: CreateApiKeyInput,
    rotatedFrom: string | null = null,
  ): Promise<IssuedApiKey> {
    const { key, plaintext } = this.newKey(workspaceId, input, rotatedFrom);
    await this.keys.insert(key);
    return { apiKey: toApiKeyView(key, this.clock.now()), plaintext };
  }

  async list(actor: TenantContext): Promise<ApiKeyView[]> {
    const now = this.clock.now();
    return (await this.keys.listByWorkspace(actor.workspaceId)).map((key) =>
      toApiKeyView(key, now),
    );
  }

  async get(actor: TenantContext, keyId: string): Promise<ApiKeyView> {
    return toApiKeyView(await this.load(actor, keyId), this.clock.now());
  }

  /**
   * Issues a successor with the same name and scopes; the old key keeps working for the grace
   * period (default from options, 0 = reject at once), then is rejected everywhere.
   */
  async rotate(
    actor: TenantContext,
    keyId: string,
    options: { readonly graceMs?: number } = {},
  ): Promise<RotatedApiKey> {
    const old = await this.load(actor, keyId);
    // Rotating hands out a new plaintext with the old key's scopes: the caller must hold them.
    const escalation = missingScopes(actor.scopes, old.scopes);
    if (escalation.length > 0) {
      throw new DomainError(
        'forbidden',
        'api_key.scope_escalation',
        'a key cannot rotate a key with scopes it does not hold',
        {
          scopes: escalation,
        },
      );
    }
    const graceMs = options.graceMs ?? this.rotationGraceMs;
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new DomainError('invalid', 'api_key.invalid_grace', 'grace period must be >= 0', {
        graceMs,
      });
    }
    const now = this.clock.now();
    const decision = planRotation(old, now, graceMs);
    if (!decision.ok) {
      throw new DomainError(
        'conflict',
        `api_key.${decision.reason}`,
        `API key ${keyId} cannot be rotated: ${decision.reason.replace('_', ' ')}`,
        {
          keyId,
        },
      );
    }
    const { key: successor, plaintext } = this.newKey(
      old.workspaceId,
      { name: old.name, scopes: old.scopes, expiresAt: old.expiresAt },
      old.id,
    );
    const rotated = await this.keys.rotate(old.workspaceId, old.id, decision, successor);
    if (!rotated) {
      throw new DomainError(
        'conflict',
        'api_key.changed_concurrently',
        `API key ${keyId} was rotated or revoked concurrently`,
        { keyId },
      );
    }
    await this.bus.publish({ workspaceId: old.workspaceId, keyId: old.id, change: 'rotated' });
    const previous: ApiKey = {
      ...old,
      rotatedAt: decision.rotatedAt,
      graceUntil: decision.graceUntil,
      replacedBy: successor.id,
    };
    return {
      apiKey: toApiKeyView(successor, now),
      plaintext,
      previous: toApiKeyView(previous, now),
    };
  }

  /** Rejects the key immediately in every process. Idempotent: revoking twice keeps the first date. */
  async revoke(actor: TenantContext, keyId: string): Promise<ApiKeyView> {
    if (!isKeyId(keyId)) throw keyNotFound(keyId);
    const revoked = await this.keys.revoke(actor.workspaceId, keyId, this.clock.now());
    if (revoked === undefined) throw keyNotFound(keyId);
    await this.bus.publish({
      workspaceId: revoked.workspaceId,
      keyId: revoked.id,
      change: 'revoked',
    });
    return toApiKeyView(revoked, this.clock.now());
  }

  private async load(actor: TenantContext, keyId: string): Promise<ApiKey> {
    if (!isKeyId(keyId)) throw keyNotFound(keyId);
    const key = await this.keys.findInWorkspace(actor.workspaceId, keyId);
    if (key === undefined) throw keyNotFound(keyId);
    return key;
  }

  private validScopes(scopes: readonly string[]): Scope[] {
    const unknown = scopes.filter((s) => !isScope(s));
    if (unknown.length > 0) {
      throw new DomainError(
        'invalid',
        'api_key.unknown_scope',
        `unknown scope(s): ${unknown.join(', ')}`,
        { field: 'scopes', scopes: unknown },
      );
    }
    if (scopes.length === 0) {
      throw new DomainError('invalid', 'api_key.no_scope', 'a key needs at least one scope', {
        field: 'scopes',
      });
    }
    return normalizeScopes(scopes as Scope[]);
  }

  private newKey(
    workspaceId: string,
    input: CreateApiKeyInput,
    rotatedFrom: string | null,
  ): { key: ApiKey; plaintext: string } {
    const now = this.clock.now();
    const name = input.name.trim();
    if (name.length === 0 || name.length > API_KEY_NAME_MAX_LENGTH) {
      throw new DomainError(
        'invalid',
        'api_key.invalid_name',
        `name must be 1 to ${API_KEY_NAME_MAX_LENGTH} characters`,
        { field: 'name' },
      );
    }
    const scopes = this.validScopes(input.scopes);
    const expiresAt = input.expiresAt ?? null;
    // A successor inherits its predecessor's expiry, which may be near; only new keys must end in the future.
    if (expiresAt !== null && rotatedFrom === null && expiresAt.getTime() <= now.getTime()) {
      throw new DomainError(
        'invalid',
        'api_key.expiry_in_past',
        'expiresAt must be in the future',
        { field: 'expiresAt' },
      );
    }
    const id = generateKeyId();
    const secret = generateSecret();
    const key: ApiKey = {
      id,
      workspaceId,
      name,
      scopes,
      secretHash: hashSecret(secret),
      createdAt: now,
      expiresAt,
      revokedAt: null,
      rotatedAt: null,
      graceUntil: null,
      replacedBy: null,
      rotatedFrom,
    };
    return { key, plaintext: formatApiKey(id, secret) };
  }
}
