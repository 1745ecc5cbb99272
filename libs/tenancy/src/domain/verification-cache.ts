import { type ApiKey } from './api-key';

export interface VerificationCacheOptions {
  /** How long a loaded key record is trusted without a database read (safety net behind NATS invalidation). */
  readonly positiveTtlMs: number;
  /** How long an unknown key id is remembered as unknown (absorbs floods of bogus keys). */
  readonly negativeTtlMs: number;
  /** LRU bound: the least recently used entry is dropped beyond this. */
  readonly maxEntries: number;
}

export const DEFAULT_VERIFICATION_CACHE_OPTIONS: VerificationCacheOptions = {
  positiveTtlMs: 60_000,
  negativeTtlMs: 5_000,
  maxEntries: 10_000,
};

interface Entry<T> {
  readonly key: T | null;
  readonly expiresAtMs: number;
}

export type CacheLookup<T = ApiKey> =
  { readonly hit: true; readonly key: T | null } | { readonly hit: false };

/**
 * In-process LRU + TTL cache of key records by key id (pure: the caller passes the time).
 *
 * It caches the RECORD (with its secret hash and dates), not a verdict: the verifier still
 * compares the presented secret and evaluates expiry/rotation grace against the clock on every
 * hit, so a cached rotated key is rejected the instant its grace ends.
 *
 * Generic over the record type so other credentials (ingestion's source write keys) reuse it.
 *
 * Race with invalidation: a database load that started before an invalidation may return the
 * pre-revocation row. Every invalidation bumps an epoch; `store` refuses results of loads that
 * began in an older epoch, so a stale row is never cached after the event that invalidated it.
 */
export class VerificationCache<T = ApiKey> {
  private readonly entries = new Map<string, Entry<T>>();
  private epoch = 0;
  private readonly options: VerificationCacheOptions;

  constructor(options: Partial<VerificationCacheOptions> = {}) {
    this.options = { ...DEFAULT_VERIFICATION_CACHE_OPTIONS, ...options };
    if (this.options.maxEntries < 1) throw new RangeError('maxEntries must be >= 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get(keyId: string, nowMs: number): CacheLookup<T> {
    const entry = this.entries.get(keyId);
    if (entry === undefined) return { hit: false };
    if (nowMs >= entry.expiresAtMs) {
      this.entries.delete(keyId);
      return { hit: false };
    }
    // Refresh recency: Map iteration order is insertion order, so re-insert at the end.
    this.entries.delete(keyId);
    this.entries.set(keyId, entry);
    return { hit: true, key: entry.key };
  }

  /** Call before loading from the store; pass the token to `store`. */
  beginLoad(): number {
    return this.epoch;
  }

  /** Caches a loaded record (null = unknown id). Returns false when an invalidation raced the load. */
  store(keyId: string, key: T | null, nowMs: number, loadToken: number): boolean {
    if (loadToken !== this.epoch) return false;
    const ttl = key === null ? this.options.negativeTtlMs : this.options.positiveTtlMs;
    if (ttl <= 0) return false;
    this.entries.delete(keyId);
    this.entries.set(keyId, { key, expiresAtMs: nowMs + ttl });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return true;
  }

  invalidate(keyId: string): void {
    this.epoch++;
    this.entries.delete(keyId);
  }

  /** Drops everything (used when invalidation messages may have been missed, e.g. after a reconnect). */
  clear(): void {
    this.epoch++;
    this.entries.clear();
  }
}
