import { DomainError } from '@cdp/contracts';
import { apiKeyStatus, type ApiKey } from '../domain/api-key';
import { parseApiKey } from '../domain/api-key-format';
import { secretMatches } from '../domain/key-hash';
import { VerificationCache, type VerificationCacheOptions } from '../domain/verification-cache';
import { type ApiKeyRepository, type Clock, type KeyChangeBus, type TenantContext } from './ports';

/** What a valid key proves. */
export type VerifiedKey = TenantContext;

export interface KeyVerifierStats {
  /** Verifications answered from the cache. */
  hits: number;
  /** Database loads (cache misses after in-flight deduplication). */
  loads: number;
  /** Cache entries dropped by invalidation messages. */
  invalidations: number;
}

const INVALID_KEY = 'auth.invalid_api_key';

function rejected(code: string, message: string): DomainError {
  return new DomainError('unauthenticated', code, message);
}

/**
 * Verifies secret API keys locally: no network hop on the hot path once a key is cached.
 *
 * - Cache hit: parse + one SHA-256 + constant-time compare + status check against the clock.
 * - Miss: one primary-key read (concurrent misses for the same id share it), then cached for
 *   `positiveTtlMs` (unknown ids for `negativeTtlMs`).
 * - Revocation/rotation anywhere is broadcast on the key-change bus (core NATS); every process
 *   drops the entry at once. The TTL bounds staleness if a message is ever lost, and a NATS
 *   reconnect (when messages may have been missed) clears the whole cache.
 */
export class KeyVerifier {
  private readonly cache: VerificationCache;
  private readonly inflight = new Map<string, Promise<ApiKey | null>>();
  private readonly unsubscribe: (() => void)[] = [];
  readonly stats: KeyVerifierStats = { hits: 0, loads: 0, invalidations: 0 };

  constructor(
    private readonly keys: ApiKeyRepository,
    bus: KeyChangeBus,
    private readonly clock: Clock,
    cacheOptions: Partial<VerificationCacheOptions> = {},
  ) {
    this.cache = new VerificationCache(cacheOptions);
    this.unsubscribe.push(
      bus.onKeyChanged((event) => this.invalidate(event.keyId)),
      bus.onResync(() => this.cache.clear()),
    );
  }

  /** Resolves the key's workspace and scopes, or throws DomainError `unauthenticated`. */
  async verify(presented: string | undefined): Promise<VerifiedKey> {
    if (presented === undefined || presented.length === 0) {
      throw rejected(
        'auth.missing_api_key',
        'an API key is required (Authorization: Bearer <key>)',
      );
    }
    const parsed = parseApiKey(presented);
    if (parsed === undefined) throw rejected(INVALID_KEY, 'invalid API key');
    const key = await this.lookup(parsed.keyId);
    // Unknown id and wrong secret get the same answer; state is only revealed to a holder of the secret.
    if (key === null || !secretMatches(parsed.secret, key.secretHash))
      throw rejected(INVALID_KEY, 'invalid API key');
    const status = apiKeyStatus(key, this.clock.now());
    switch (status) {
      case 'revoked':
        throw rejected('auth.api_key_revoked', 'API key revoked');
      case 'expired':
        throw rejected('auth.api_key_expired', 'API key expired');
      case 'active':
      case 'rotated':
        return { workspaceId: key.workspaceId, keyId: key.id, scopes: key.scopes };
    }
  }

  /** Drops one key from this process's cache. */
  invalidate(keyId: string): void {
    this.stats.invalidations++;
    this.cache.invalidate(keyId);
  }

  clear(): void {
    this.cache.clear();
  }

  /** Stops listening to the bus. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private async lookup(keyId: string): Promise<ApiKey | null> {
    const cached = this.cache.get(keyId, this.clock.now().getTime());
    if (cached.hit) {
      this.stats.hits++;
      return cached.key;
    }
    const pending = this.inflight.get(keyId);
    if (pending !== undefined) return pending;
    const load = this.load(keyId).finally(() => this.inflight.delete(keyId));
    this.inflight.set(keyId, load);
    return load;
  }

  private async load(keyId: string): Promise<ApiKey | null> {
    const token = this.cache.beginLoad();
    this.stats.loads++;
    let key: ApiKey | undefined;
    try {
      key = await this.keys.findForVerification(keyId);
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError(
        'unavailable',
        'auth.key_store_unavailable',
        'cannot verify the API key right now',
        undefined,
        1,
      );
    }
    this.cache.store(keyId, key ?? null, this.clock.now().getTime(), token);
    return key ?? null;
  }
}
