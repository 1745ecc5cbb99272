import { compareStrings } from '../domain/identifier';
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
}

/**
 * Rebuilds a workspace's identity graph by replaying its accepted events into a scratch graph
 * (with the same rules) and compares it with the live one. It proves the projection, it does
 * not replace it: observations made through the API and splits are not in the event log, so
 * a workspace that used them differs by design.
 */
export class VerifyRebuildUseCase {
  constructor(
    private readonly log: AcceptedEventLog,
    private readonly live: LiveGraphComponents,
    private readonly configs: IdentityConfigProvider,
    private readonly sources: SourceKindLookup,
  ) {}

  async execute(command: { workspaceId: string; maxEvents: number }): Promise<VerifyRebuildResult> {
    const { workspaceId } = command;
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
    const replay = await this.log.replay(
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
    return {
      equal: onlyLive.length === 0 && onlyRebuilt.length === 0,
      ...replay,
      live: count(live),
      rebuilt: count(rebuilt),
      onlyLive: sorted(onlyLive),
      onlyRebuilt: sorted(onlyRebuilt),
    };
  }
}
