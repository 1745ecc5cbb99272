import { type Scope } from './scopes';

/** A secret API key as stored (never its secret, only the hash). */
export interface ApiKey {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** Hex SHA-256 of the secret (see key-hash.ts). */
  readonly secretHash: string;
  readonly createdAt: Date;
  /** Set by the creator; null for keys that never expire on their own. */
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  /** Set when the key was rotated: it stays valid until `graceUntil`, then is rejected. */
  readonly rotatedAt: Date | null;
  readonly graceUntil: Date | null;
  /** Id of the key that replaced this one on rotation. */
  readonly replacedBy: string | null;
  /** Id of the key this one replaced. */
  readonly rotatedFrom: string | null;
}

/**
 * - `active`: accepted.
 * - `rotated`: replaced by a new key but still accepted until the end of its grace period.
 * - `revoked`: rejected immediately and forever.
 * - `expired`: past its own `expiresAt` or past its rotation grace; rejected.
 */
export type ApiKeyStatus = 'active' | 'rotated' | 'revoked' | 'expired';

/**
 * The lifecycle fields the state rules read. Other credentials with the same lifecycle (ingestion's
 * source write keys) pass their own records.
 */
export type KeyLifecycle = Pick<ApiKey, 'expiresAt' | 'revokedAt' | 'graceUntil' | 'replacedBy'>;

export const DEFAULT_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

export function apiKeyStatus(key: KeyLifecycle, now: Date): ApiKeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  const until = usableUntil(key);
  if (until !== null && now.getTime() >= until.getTime()) return 'expired';
  return key.replacedBy !== null ? 'rotated' : 'active';
}

export function isUsable(key: KeyLifecycle, now: Date): boolean {
  const status = apiKeyStatus(key, now);
  return status === 'active' || status === 'rotated';
}

/** The instant after which the key is rejected (earliest of expiry and rotation grace), if any. */
export function usableUntil(key: KeyLifecycle): Date | null {
  const limits = [key.expiresAt, key.graceUntil].filter((d): d is Date => d !== null);
  if (limits.length === 0) return null;
  return new Date(Math.min(...limits.map((d) => d.getTime())));
}

export type RotationDecision =
  | { readonly ok: true; readonly rotatedAt: Date; readonly graceUntil: Date }
  | { readonly ok: false; readonly reason: 'revoked' | 'expired' | 'already_rotated' };

/**
 * Whether and how `key` may be rotated at `now`. The old key stays valid for `graceMs` (never
 * beyond its own expiry); a grace of 0 rejects it at once. Only an `active` key can be rotated:
 * rotating a key already replaced would mint a second successor.
 */
export function planRotation(
  key: KeyLifecycle,
  now: Date,
  graceMs: number = DEFAULT_ROTATION_GRACE_MS,
): RotationDecision {
  if (!Number.isFinite(graceMs) || graceMs < 0)
    throw new RangeError(`rotation grace must be >= 0 ms (got ${graceMs})`);
  const status = apiKeyStatus(key, now);
  switch (status) {
    case 'revoked':
    case 'expired':
      return { ok: false, reason: status };
    case 'rotated':
      return { ok: false, reason: 'already_rotated' };
    case 'active': {
      const graceEnd = now.getTime() + graceMs;
      const capped =
        key.expiresAt !== null ? Math.min(graceEnd, key.expiresAt.getTime()) : graceEnd;
      return { ok: true, rotatedAt: now, graceUntil: new Date(capped) };
    }
  }
}
