import { extractObservation, type IdentityEventInput } from '../domain/extract-observation';
import { type SourceKind } from '../domain/identity-config';
import { type RejectedIdentifier } from '../domain/normalise-identifier';
import { type Observation } from '../domain/observation';
import {
  batchLookupKeys,
  resolveBatch,
  type BatchItemResult,
  type BatchResolution,
} from '../domain/resolve-batch';
import { GraphChangedError } from './graph-changed.error';
import { type BatchIdentityGraphRepository } from './identity-graph.port';
import {
  type IdGenerator,
  type IdentityConfigProvider,
  type SourceKindLookup,
} from './identity-settings.port';

export interface ResolveEventBatchCommand {
  readonly workspaceId: string;
  /** In order; all of `workspaceId`. */
  readonly events: readonly IdentityEventInput[];
  /**
   * Overlapping runs of a workspace (ADR 0040): awaited before taking the locks, and told once
   * they are held (or the run failed), so runs take their locks, and so resolve, in order.
   */
  readonly turn?: { ready(): Promise<void>; pass(): void };
}

export interface ResolvedEventResult extends BatchItemResult {
  readonly rejected: readonly RejectedIdentifier[];
}

export interface ResolveEventBatchResult {
  /** One per event, in order. */
  readonly results: readonly ResolvedEventResult[];
  readonly changes: BatchResolution['changes'];
  /** Transactions it took (1 unless a concurrent writer made the batch re-plan). */
  readonly attempts: number;
}

/** Re-plans of a batch whose transaction lost a race (deadlock, unique violation). */
const MAX_ATTEMPTS = 5;

/**
 * Resolves a micro-batch of accepted events of one workspace in one transaction: every
 * identifier of the batch is locked and the profiles holding them are loaded (and row-locked)
 * with a handful of statements, the events are resolved in order in memory with the same rules
 * as one by one (`resolveBatch`), and the net changes are written in bulk. Same graph as
 * resolving the events one at a time in that order; idempotent (a replayed batch changes
 * nothing).
 */
export class ResolveEventBatchUseCase {
  constructor(
    private readonly graph: BatchIdentityGraphRepository,
    private readonly configs: IdentityConfigProvider,
    private readonly sources: SourceKindLookup,
    private readonly ids: IdGenerator,
  ) {}

  async execute(command: ResolveEventBatchCommand): Promise<ResolveEventBatchResult> {
    const { workspaceId, events } = command;
    const config = await this.configs.configFor(workspaceId);
    const kinds = new Map<string, SourceKind>();
    for (const sourceId of new Set(events.map((e) => e.sourceId)))
      kinds.set(sourceId, await this.sources.kindOf(workspaceId, sourceId));
    const observations: Observation[] = [];
    const rejected: (readonly RejectedIdentifier[])[] = [];
    for (const event of events) {
      const extraction = extractObservation(event, config, kinds.get(event.sourceId) ?? 'browser');
      observations.push(extraction.observation);
      rejected.push(extraction.rejected);
    }
    const keys = batchLookupKeys(observations);
    await command.turn?.ready();
    for (let attempt = 1; ; attempt++) {
      try {
        const resolution = await this.graph.withBatchLocks(workspaceId, keys, async (tx) => {
          command.turn?.pass();
          const snapshot = await tx.loadLockedSnapshot(keys);
          const resolved = resolveBatch(observations, snapshot, config, this.ids);
          await tx.applyBatch(resolved.changes);
          return resolved;
        });
        return {
          results: resolution.results.map((r, i) => ({ ...r, rejected: rejected[i] ?? [] })),
          changes: resolution.changes,
          attempts: attempt,
        };
      } catch (error) {
        if (!(error instanceof GraphChangedError) || attempt >= MAX_ATTEMPTS) {
          command.turn?.pass();
          throw error;
        }
      }
    }
  }
}
