import { DomainError } from '@cdp/contracts';
import { compareStrings } from '../domain/identifier';
import { type StoredIdentifier } from '../domain/resolve-batch';
import { type Link } from '../domain/resolve-observation';
import { type IdentityEventInput } from '../domain/extract-observation';
import { InMemoryIdentityGraph } from './in-memory-identity-graph';
import { type IdentityConfigProvider, type SourceKindLookup } from './identity-settings.port';
import { ResolveEventUseCase } from './resolve-event.use-case';
import { ResolveObservationUseCase } from './resolve-observation.use-case';

/** The log of a workspace's accepted events (the `EVENTS` stream), replayed in order. */
export interface AcceptedEventLog {
  replay(
    workspaceId: string,
    onBatch: (events: readonly IdentityEventInput[]) => Promise<void>,
    maxEvents: number,
  ): Promise<{ readonly messages: number; readonly events: number; readonly truncated: boolean }>;
}

/** The live graph as identifier components (sorted keys per profile). */
export interface LiveGraphComponents {
  components(workspaceId: string): Promise<string[][]>;
}

/** A profile of a rebuilt graph: its identifiers (first seen) and links. */
export interface RebuiltProfile {
  readonly identifiers: readonly StoredIdentifier[];
  readonly links: readonly Link[];
}

export interface SwapResult {
  /** Rebuilt profiles that kept the live id of their oldest identifier. */
  readonly profilesKept: number;
  readonly profilesCreated: number;
  /** Live profiles no rebuilt profile took over: merged into the one holding most of theirs. */
  readonly profilesRetired: number;
  /** Identifiers whose profile changed (identity_map rows queued). */
  readonly identifiersMoved: number;
}

/** Replaces a workspace's live graph by a rebuilt one, in one transaction. */
export interface GraphSwap {
  replaceWorkspaceGraph(
    workspaceId: string,
    rebuilt: readonly RebuiltProfile[],
  ): Promise<SwapResult>;
}

export interface VerifyRebuildResult {
  readonly equal: boolean;
  readonly messages: number;
  readonly events: number;
  /** The replay stopped at `maxEvents`: the comparison is not meaningful. */
  readonly truncated: boolean;
  readonly live: { readonly profiles: number; readonly identifiers: number };
  readonly rebuilt: { readonly profiles: number; readonly identifiers: number };
  /** Up to 20 components found on one side only (identifier keys). */
  readonly onlyLive: readonly (readonly string[])[];
  readonly onlyRebuilt: readonly (readonly string[])[];
  /** Set when a swap was asked, the graphs differed and the replay was complete. */
  readonly swapped?: SwapResult;
}

/**
 * Rebuilds a workspace's identity graph by replaying its accepted events (the EVENTS stream, or
 * the ClickHouse `events` history) into a scratch graph with the same rules, and compares it
 * with the live one. With `swap`, a complete replay that differs replaces the live graph
 * (`GraphSwap`): profiles keep their ids where they can. Observations made through the API and
 * splits are not in the event history, so a workspace that used them differs by design (and a
 * swap forgets them).
 */
export class VerifyRebuildUseCase {
  constructor(
    private readonly logs: {
      /** The EVENTS stream (bounded by its retention). */
      readonly stream: AcceptedEventLog;
      /** The ClickHouse `events` history (everything the event writer stored). */
      readonly clickhouse?: AcceptedEventLog;
    },
    private readonly live: LiveGraphComponents,
    private readonly configs: IdentityConfigProvider,
    private readonly sources: SourceKindLookup,
    private readonly swapper?: GraphSwap,
  ) {}

  async execute(command: {
    workspaceId: string;
    maxEvents: number;
    swap?: boolean;
    source?: 'stream' | 'clickhouse';
  }): Promise<VerifyRebuildResult> {
    const { workspaceId } = command;
    const log = command.source === 'clickhouse' ? this.logs.clickhouse : this.logs.stream;
    if (!log)
      throw new DomainError(
        'invalid',
        'identity.rebuild_source_unavailable',
        'the ClickHouse event history needs CLICKHOUSE_URL',
        { field: 'source' },
      );
    const scratch = new InMemoryIdentityGraph();
    let n = 0;
    const resolve = new ResolveEventUseCase(
      this.configs,
      this.sources,
      new ResolveObservationUseCase(scratch, this.configs, {
        profileId: () => `rebuilt_${++n}`,
        mergeId: () => `rebuilt_merge_${++n}`,
      }),
    );
    const replay = await log.replay(
      workspaceId,
      async (events) => {
        for (const event of events) await resolve.execute({ event });
      },
      command.maxEvents,
    );
    const rebuilt = scratch.components(workspaceId);
    const live = await this.live.components(workspaceId);
    const key = (component: readonly string[]) => component.join('|');
    const liveKeys = new Set(live.map(key));
    const rebuiltKeys = new Set(rebuilt.map(key));
    const onlyLive = live.filter((c) => !rebuiltKeys.has(key(c)));
    const onlyRebuilt = rebuilt.filter((c) => !liveKeys.has(key(c)));
    const count = (components: readonly string[][]) => ({
      profiles: components.length,
      identifiers: components.reduce((sum, c) => sum + c.length, 0),
    });
    const sorted = (components: readonly string[][]) =>
      [...components].sort((a, b) => compareStrings(key(a), key(b))).slice(0, 20);
    const equal = onlyLive.length === 0 && onlyRebuilt.length === 0;
    let swapped: SwapResult | undefined;
    if (command.swap === true && !equal && !replay.truncated && this.swapper)
      swapped = await this.swapper.replaceWorkspaceGraph(
        workspaceId,
        scratch.profiles(workspaceId).map((p) => ({
          identifiers: [...p.identifiers.values()],
          links: [...p.links.values()],
        })),
      );
    return {
      equal,
      ...(swapped ? { swapped } : {}),
      ...replay,
      live: count(live),
      rebuilt: count(rebuilt),
      onlyLive: sorted(onlyLive),
      onlyRebuilt: sorted(onlyRebuilt),
    };
  }
}
