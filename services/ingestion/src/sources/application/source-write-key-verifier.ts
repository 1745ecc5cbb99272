import { DomainError } from '@cdp/contracts';
import {
  apiKeyStatus,
  secretMatches,
  VerificationCache,
  type Clock,
  type KeyChangeBus,
  type VerificationCacheOptions,
} from '@cdp/tenancy';
import { parseWriteKey } from '../domain/write-key';
import { type WriteKeyRecord, type WriteKeyRepository } from './ports';
import { type VerifiedWriteKey, type WriteKeyVerifier } from './write-key-verifier.port';

export interface WriteKeyVerifierStats {
  hits: number;
  loads: number;
  invalidations: number;
}

function rejected(code: string, message: string): DomainError {
  return new DomainError('unauthenticated', code, message);
}

const INVALID = 'auth.invalid_write_key';

/**
 * Verifies source write keys in-process (the collection hot path): parse, cache lookup, one
 * SHA-256, a constant-time compare, the key's state against the clock and the source's `enabled`.
 *
 * The cache (`VerificationCache` of @cdp/tenancy) holds the key record joined with its source,
 * never a verdict. Revocation, rotation and enabling/disabling a source are broadcast on the
 * write-key bus (core NATS); every process drops the entry at once. Unknown ids are remembered
 * for a few seconds (bogus-key floods cost no query each); concurrent misses share one read.
 */
export class SourceWriteKeyVerifier implements WriteKeyVerifier {
  private readonly cache: VerificationCache<WriteKeyRecord>;
  private readonly inflight = new Map<string, Promise<WriteKeyRecord | null>>();
  private readonly unsubscribe: (() => void)[] = [];
  readonly stats: WriteKeyVerifierStats = { hits: 0, loads: 0, invalidations: 0 };

  constructor(
    private readonly keys: WriteKeyRepository,
    bus: KeyChangeBus,
    private readonly clock: Clock,
    cacheOptions: Partial<VerificationCacheOptions> = {},
  ) {
    this.cache = new VerificationCache<WriteKeyRecord>(cacheOptions);
    this.unsubscribe.push(
      bus.onKeyChanged((event) => this.invalidate(event.keyId)),
      bus.onResync(() => this.cache.clear()),
    );
  }

  async verify(writeKey: string): Promise<VerifiedWriteKey> {
    if (writeKey.length === 0) throw rejected('auth.missing_write_key', 'a write key is required');
    const parsed = parseWriteKey(writeKey);
    if (parsed === undefined) throw rejected(INVALID, 'invalid write key');
    const record = await this.lookup(parsed.keyId);
    // Unknown id and wrong secret get the same answer; state is only revealed to a holder of the secret.
    if (record === null || !secretMatches(parsed.secret, record.key.secretHash))
      throw rejected(INVALID, 'invalid write key');
    const status = apiKeyStatus(record.key, this.clock.now());
    switch (status) {
      case 'revoked':
        throw rejected('auth.write_key_revoked', 'write key revoked');
      case 'expired':
        throw rejected('auth.write_key_expired', 'write key expired');
      case 'active':
      case 'rotated':
        break;
    }
    if (!record.source.enabled) throw rejected('auth.source_disabled', 'source disabled');
    return {
      workspaceId: record.key.workspaceId,
      sourceId: record.source.id,
      writeKeyId: record.key.id,
      sourceKind: record.source.kind,
    };
  }

  invalidate(keyId: string): void {
    this.stats.invalidations++;
    this.cache.invalidate(keyId);
  }

  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private lookup(keyId: string): Promise<WriteKeyRecord | null> {
    const cached = this.cache.get(keyId, this.clock.now().getTime());
    if (cached.hit) {
      this.stats.hits++;
      return Promise.resolve(cached.key);
    }
    const pending = this.inflight.get(keyId);
    if (pending !== undefined) return pending;
    const load = this.load(keyId).finally(() => this.inflight.delete(keyId));
    this.inflight.set(keyId, load);
    return load;
  }

  private async load(keyId: string): Promise<WriteKeyRecord | null> {
    const token = this.cache.beginLoad();
    this.stats.loads++;
    let record: WriteKeyRecord | undefined;
    try {
      record = await this.keys.findForVerification(keyId);
    } catch {
      throw new DomainError(
        'unavailable',
        'auth.write_key_store_unavailable',
        'cannot verify the write key right now',
        undefined,
        1,
      );
    }
    this.cache.store(keyId, record ?? null, this.clock.now().getTime(), token);
    return record ?? null;
  }
}
