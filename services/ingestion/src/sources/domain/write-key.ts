import { randomBytes } from 'node:crypto';
import { type KeyLifecycle } from '@cdp/tenancy';

/**
 * A source write key as stored: only the hash of its secret. Same lifecycle as secret API keys
 * (active → rotated with a grace period → expired, or revoked), so the state rules of
 * `@cdp/tenancy` (`apiKeyStatus`, `planRotation`) apply to it unchanged.
 */
export interface WriteKey extends KeyLifecycle {
  readonly id: string;
  readonly workspaceId: string;
  readonly sourceId: string;
  /** Hex SHA-256 of the secret (`hashSecret` of @cdp/tenancy). */
  readonly secretHash: string;
  readonly createdAt: Date;
  readonly rotatedAt: Date | null;
  readonly rotatedFrom: string | null;
}

/**
 * Write key format: `wk_<keyId><secret>`, 70 characters, URL-safe and without `:`, so it works
 * as an HTTP Basic username (Segment's SDKs send `base64(writeKey + ':')`) and in a URL path
 * (`/v1/projects/<writeKey>/settings`).
 *
 * - `keyId`: 24 lower-case hex chars: the public id (API `:keyId`, cache key, primary key).
 * - `secret`: 32 random bytes in base64url (43 chars); only its hash is stored.
 *
 * The id has a fixed length, so no separator is needed; the `wk_` prefix tells write keys apart
 * from secret API keys (`cdp_sk_`) for humans and secret scanners.
 */
export const WRITE_KEY_PREFIX = 'wk_';
const KEY_ID = /^[0-9a-f]{24}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const WRITE_KEY_LENGTH = WRITE_KEY_PREFIX.length + 24 + 43;

export interface ParsedWriteKey {
  readonly keyId: string;
  readonly secret: string;
}

export function generateWriteKeyId(): string {
  return randomBytes(12).toString('hex');
}

export function generateWriteKeySecret(): string {
  return randomBytes(32).toString('base64url');
}

export function isWriteKeyId(value: string): boolean {
  return KEY_ID.test(value);
}

export function formatWriteKey(keyId: string, secret: string): string {
  if (!KEY_ID.test(keyId)) throw new Error(`invalid write key id "${keyId}"`);
  if (!SECRET.test(secret)) throw new Error('invalid write key secret');
  return `${WRITE_KEY_PREFIX}${keyId}${secret}`;
}

/** Splits a presented write key; undefined when it is not well formed (checked before any work). */
export function parseWriteKey(presented: string): ParsedWriteKey | undefined {
  if (presented.length !== WRITE_KEY_LENGTH || !presented.startsWith(WRITE_KEY_PREFIX))
    return undefined;
  const keyId = presented.slice(WRITE_KEY_PREFIX.length, WRITE_KEY_PREFIX.length + 24);
  const secret = presented.slice(WRITE_KEY_PREFIX.length + 24);
  if (!KEY_ID.test(keyId) || !SECRET.test(secret)) return undefined;
  return { keyId, secret };
}
