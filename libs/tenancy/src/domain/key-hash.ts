import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Hash of a key secret as stored in `tenancy.api_keys.secret_hash` (hex SHA-256).
 *
 * Why not bcrypt/scrypt/argon2: those exist to slow down guessing of LOW-entropy secrets
 * (passwords). Our secrets are 256 random bits, so brute force is infeasible whatever the hash
 * speed, while a deliberately slow hash (~50-100 ms) on every API call on the hot path would cap
 * a core at ~10-20 verifications per second. A single SHA-256 takes about a microsecond and a
 * stolen table of hashes still reveals nothing usable.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two hex digests in constant time (no early exit revealing a matching prefix). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

/** Whether `secret` hashes to `expectedHash`, compared in constant time. */
export function secretMatches(secret: string, expectedHash: string): boolean {
  return constantTimeEqual(hashSecret(secret), expectedHash);
}
