import {
  IdentityConfig,
  type IdentityConfigInput,
  type IdentifierTypeConfig,
  type SourceKind,
} from '../domain/identity-config';
import { type IdentityConfigProvider } from './identity-settings.port';

/** A workspace's stored identity rules, as sent (defaults are not stored). */
export interface StoredIdentityConfig {
  readonly input: IdentityConfigInput;
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** Where workspaces' identity rules are kept (Postgres `identity.workspace_configs`). */
export interface IdentityConfigStore {
  load(workspaceId: string): Promise<StoredIdentityConfig | undefined>;
  save(
    workspaceId: string,
    input: IdentityConfigInput,
    actor: string,
  ): Promise<StoredIdentityConfig>;
}

/** What `GET/PUT /v1/identity/config` answer: what was set, and the rules in force. */
export interface IdentityConfigView {
  readonly workspaceId: string;
  /** 0 while the workspace runs on the defaults. */
  readonly version: number;
  readonly updatedAt: string | null;
  readonly config: IdentityConfigInput;
  readonly effective: {
    readonly types: readonly IdentifierTypeConfig[];
    readonly mergeProtection: boolean;
    readonly defaultPhoneRegion: string | null;
    readonly trustedSourceKinds: readonly SourceKind[];
  };
}

/** How long a pod resolves with a workspace's rules before reading them again. */
export const CONFIG_CACHE_MS = 5_000;

/**
 * Per-workspace identity rules: validated (`IdentityConfig.from`: a bad rule is a 400 naming
 * the field) and stored whole; resolution reads them through a short cache, so a change
 * applies to the events resolved after it, in every pod within CONFIG_CACHE_MS. Past
 * resolutions are not redone (a rebuild replays history with the rules in force).
 */
export class IdentityConfigService implements IdentityConfigProvider {
  private readonly cache = new Map<string, { config: IdentityConfig; until: number }>();

  constructor(
    private readonly store: IdentityConfigStore,
    private readonly now: () => number = Date.now,
  ) {}

  async configFor(workspaceId: string): Promise<IdentityConfig> {
    const cached = this.cache.get(workspaceId);
    if (cached && cached.until > this.now()) return cached.config;
    const stored = await this.store.load(workspaceId);
    // Stored rules were valid when saved; a rule the code no longer accepts falls back to the
    // defaults rather than stopping resolution for the workspace.
    let config = IdentityConfig.DEFAULT;
    if (stored) {
      try {
        config = IdentityConfig.from(stored.input);
      } catch {
        config = IdentityConfig.DEFAULT;
      }
    }
    this.cache.set(workspaceId, { config, until: this.now() + CONFIG_CACHE_MS });
    return config;
  }

  async view(workspaceId: string): Promise<IdentityConfigView> {
    const stored = await this.store.load(workspaceId);
    return viewOf(workspaceId, stored, await this.configFor(workspaceId));
  }

  /** Replaces the workspace's rules; throws IdentityConfigError (400) for an invalid input. */
  async replace(
    workspaceId: string,
    input: IdentityConfigInput,
    actor: string,
  ): Promise<IdentityConfigView> {
    const config = IdentityConfig.from(input);
    const stored = await this.store.save(workspaceId, input, actor);
    this.cache.set(workspaceId, { config, until: this.now() + CONFIG_CACHE_MS });
    return viewOf(workspaceId, stored, config);
  }
}

function viewOf(
  workspaceId: string,
  stored: StoredIdentityConfig | undefined,
  config: IdentityConfig,
): IdentityConfigView {
  return {
    workspaceId,
    version: stored?.version ?? 0,
    updatedAt: stored?.updatedAt ?? null,
    config: stored?.input ?? {},
    effective: {
      types: config.types,
      mergeProtection: config.mergeProtection,
      defaultPhoneRegion: config.defaultPhoneRegion ?? null,
      trustedSourceKinds: config.trustedSourceKinds,
    },
  };
}
