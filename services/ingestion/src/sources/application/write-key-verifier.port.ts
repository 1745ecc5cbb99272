/** What a verified source write key grants: collecting events into one source. */
export interface VerifiedWriteKey {
  readonly workspaceId: string;
  readonly sourceId: string;
  readonly writeKeyId: string;
  /** Browser sources may only link anonymous ids to known ones (identity trusts servers more). */
  readonly sourceKind: 'browser' | 'server' | 'mobile' | 'import';
}

/**
 * Verifies a write key without a network hop on the hot path (in-process cache with
 * invalidation). Throws DomainError `unauthenticated` (401) for an unknown, revoked or expired
 * key, or for a disabled source.
 */
export interface WriteKeyVerifier {
  verify(writeKey: string): Promise<VerifiedWriteKey>;
}

export const WRITE_KEY_VERIFIER = Symbol.for('cdp.ingestion.write-key-verifier');
