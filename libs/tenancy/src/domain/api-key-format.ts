import { randomBytes } from 'node:crypto';

/**
 * Secret API key format: `cdp_sk_<keyId>_<secret>`.
 *
 * - `keyId`: 24 lower-case hex characters (96 random bits). Public: it is the key's id in the API,
 *   the cache key and the database primary key, so a lookup needs no hashing of the whole key.
 * - `secret`: 32 random bytes, base64url without padding (43 characters, may contain `_` and `-`).
 *   Only its hash is stored.
 *
 * The `cdp_sk_` prefix makes leaked keys greppable by secret scanners and tells them apart from
 * source write keys, which this library never accepts.
 */
export const SECRET_KEY_PREFIX = 'cdp_sk_';

const KEY_ID_PATTERN = /^[0-9a-f]{24}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
/** Upper bound checked before any parsing work, so a huge header costs nothing. */
const MAX_KEY_LENGTH = SECRET_KEY_PREFIX.length + 24 + 1 + 43;

export interface ParsedApiKey {
  readonly keyId: string;
  readonly secret: string;
}

export function generateKeyId(): string {
  return randomBytes(12).toString('hex');
}

export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function isKeyId(value: string): boolean {
  return KEY_ID_PATTERN.test(value);
}

export function formatApiKey(keyId: string, secret: string): string {
  if (!isKeyId(keyId)) throw new Error(`invalid key id "${keyId}"`);
  if (!SECRET_PATTERN.test(secret)) throw new Error('invalid key secret');
  return `${SECRET_KEY_PREFIX}${keyId}_${secret}`;
}

/** Splits a presented key into id and secret; undefined when it is not a well-formed secret key. */
export function parseApiKey(presented: string): ParsedApiKey | undefined {
  if (presented.length !== MAX_KEY_LENGTH || !presented.startsWith(SECRET_KEY_PREFIX))
    return undefined;
  const body = presented.slice(SECRET_KEY_PREFIX.length);
  // The id has a fixed length and no `_`; the secret may contain `_`, so split at the first one.
  const keyId = body.slice(0, 24);
  if (body[24] !== '_') return undefined;
  const secret = body.slice(25);
  if (!KEY_ID_PATTERN.test(keyId) || !SECRET_PATTERN.test(secret)) return undefined;
  return { keyId, secret };
}
