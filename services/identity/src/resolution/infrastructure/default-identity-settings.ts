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

/** `prof_` / `merge_` / `split_` + 24 hex characters (96 random bits). */
export class RandomIdGenerator implements IdGenerator {
  profileId(): string {
    return `prof_${randomBytes(12).toString('hex')}`;
  }
  mergeId(): string {
    return `merge_${randomBytes(12).toString('hex')}`;
  }
  splitId(): string {
    return `split_${randomBytes(12).toString('hex')}`;
  }
}
