import { randomBytes } from 'node:crypto';
import {
  IdentityConfig,
  type IdentityConfigInput,
  type SourceKind,
} from '../domain/identity-config';
import {
  type IdGenerator,
  type IdentityConfigProvider,
  type SourceKindLookup,
} from '../application/identity-settings.port';

/**
 * Every workspace resolves with the default rules until per-workspace config storage and its
 * API exist (issue 4, left): `IdentityConfig.from({})`.
 */
export class DefaultIdentityConfigProvider implements IdentityConfigProvider {
  private readonly config: IdentityConfig;

  constructor(input: IdentityConfigInput = {}) {
    this.config = IdentityConfig.from(input);
  }

  configFor(): Promise<IdentityConfig> {
    return Promise.resolve(this.config);
  }
}

/**
 * Source kinds: ingestion knows them (`ingestion.sources.kind`) but publishes no source events
 * yet and accepted events carry only `sourceId`, so every source is `browser` (the least
 * trusted kind: it may link anonymous profiles to a known one, never merge two known ones),
 * except the ids listed in `known` (tests, static config).
 */
export class DefaultSourceKindLookup implements SourceKindLookup {
  constructor(private readonly known: Readonly<Record<string, SourceKind>> = {}) {}

  kindOf(_workspaceId: string, sourceId: string): Promise<SourceKind> {
    return Promise.resolve(this.known[sourceId] ?? 'browser');
  }
}

/** Random ids drawn per call: 96 bits each, from a pool refilled 512 ids at a time. */
const ID_BYTES = 12;
const POOL_IDS = 512;

/** `prof_` / `merge_` / `split_` + 24 hex characters (96 random bits). */
export class RandomIdGenerator implements IdGenerator {
  private pool = Buffer.alloc(0);
  private offset = 0;

  profileId(): string {
    return `prof_${this.random()}`;
  }
  mergeId(): string {
    return `merge_${this.random()}`;
  }
  splitId(): string {
    return `split_${this.random()}`;
  }

  private random(): string {
    if (this.offset + ID_BYTES > this.pool.length) {
      this.pool = randomBytes(ID_BYTES * POOL_IDS);
      this.offset = 0;
    }
    const hex = this.pool.toString('hex', this.offset, this.offset + ID_BYTES);
    this.offset += ID_BYTES;
    return hex;
  }
}
