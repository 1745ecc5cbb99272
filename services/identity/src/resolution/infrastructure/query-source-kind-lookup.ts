import { DomainError, querySubject } from '@cdp/contracts';
import { type QueryClient } from '@cdp/messaging';
import { createLogger } from '@cdp/observability';
import { SOURCE_KINDS, type SourceKind } from '../domain/identity-config';
import { type SourceKindLookup } from '../application/identity-settings.port';

const log = createLogger('identity-source-kinds');

/** Ingestion's source registry answers here (services/ingestion sources feature). */
export const SOURCE_KIND_QUERY = querySubject('ingestion', 'source-kind');
const QUERY_TIMEOUT_MS = 1000;
const MAX_CACHED = 100_000;

/**
 * Source kinds from ingestion's source registry (ADR 0041): asked once per (workspace, source)
 * over `cdp.query.ingestion.source-kind.v1` and cached for good (a source's kind never changes).
 * `overrides` (IDENTITY_SOURCE_KINDS) answer first: sources that are not in the registry.
 *
 * An unknown source (not_found) is the least trusted kind, `browser` (it can only refuse
 * merges, never make a wrong one), cached; so is a deployment without ingestion (no responder
 * on the subject), not cached. A registry that does not answer in time is an error the
 * consumer retries (the batch is redelivered): resolving a server's events as a browser's
 * would record conflicts instead of merges for good.
 */
export class QuerySourceKindLookup implements SourceKindLookup {
  private readonly cache = new Map<string, SourceKind>();
  private readonly inFlight = new Map<string, Promise<SourceKind>>();
  /** Sources already reported as unanswered: a warning per source, not per batch. */
  private readonly warnedUnanswered = new Set<string>();

  constructor(
    private readonly queries: Pick<QueryClient, 'request'>,
    private readonly overrides: Readonly<Record<string, SourceKind>> = {},
  ) {}

  kindOf(workspaceId: string, sourceId: string): Promise<SourceKind> {
    const override = this.overrides[sourceId];
    if (override !== undefined) return Promise.resolve(override);
    const key = `${workspaceId}\u0000${sourceId}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.ask(workspaceId, sourceId, key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async ask(workspaceId: string, sourceId: string, key: string): Promise<SourceKind> {
    try {
      const answer = await this.queries.request<{ kind?: unknown }>(
        SOURCE_KIND_QUERY,
        { sourceId },
        { workspaceId, timeoutMs: QUERY_TIMEOUT_MS },
      );
      const kind = (SOURCE_KINDS as readonly unknown[]).includes(answer.kind)
        ? (answer.kind as SourceKind)
        : 'browser';
      this.remember(key, kind);
      return kind;
    } catch (error) {
      if (error instanceof DomainError && error.kind === 'not_found') {
        this.remember(key, 'browser');
        return 'browser';
      }
      if (error instanceof DomainError && /no responders/.test(error.message)) {
        if (!this.warnedUnanswered.has(key) && this.warnedUnanswered.size < MAX_CACHED) {
          this.warnedUnanswered.add(key);
          log.warn({ workspaceId, sourceId }, 'no source registry deployed: browser');
        }
        return 'browser';
      }
      throw error;
    }
  }

  private remember(key: string, kind: SourceKind): void {
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
    this.cache.set(key, kind);
  }
}
