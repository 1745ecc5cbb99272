import { type FactIdentifier, type ResolvedEventInput } from '../domain/profile-fact';
import { materialize } from '../domain/trait-register';
import { applyFact, eventDrivenComputed, type ProfileState } from '../domain/profile-state';
import { jsonEqual, type Json } from '../domain/json';
import { ApplyResolvedEventsUseCase } from './apply-resolved-events.use-case';
import { InMemoryProfileStore } from './in-memory-profile-store';
import { MergeProfilesUseCase } from './merge-profiles.use-case';
import { lockCanonical, TouchedProfiles } from './projection-step';
import { type DefinitionSource, type OwnedFact } from './profile-store.port';
import { SplitProfileUseCase } from './split-profile.use-case';

/** One message of the IDENTITY stream that the profile consumes. */
export type IdentityLogMessage =
  | {
      readonly kind: 'resolved';
      readonly events: readonly (ResolvedEventInput & {
        readonly profileId?: string | undefined;
      })[];
    }
  | {
      readonly kind: 'merged';
      readonly messageId: string;
      readonly survivingProfileId: string;
      readonly mergedProfileIds: readonly string[];
      readonly at: string;
    }
  | {
      readonly kind: 'split';
      readonly messageId: string;
      readonly sourceProfileId: string;
      readonly parts: readonly { profileId: string; identifiers: readonly FactIdentifier[] }[];
    };

/** The IDENTITY stream of a workspace, replayed from its start in stream order. */
export interface IdentityLog {
  replay(
    workspaceId: string,
    onMessage: (message: IdentityLogMessage) => Promise<void>,
    maxMessages: number,
  ): Promise<{ readonly messages: number; readonly truncated: boolean }>;
}

/** The live projection: its manual edits (not in any stream) and its live profiles. */
export interface LiveProjection {
  manualEdits(workspaceId: string): Promise<OwnedFact[]>;
  liveProfiles(workspaceId: string): Promise<ProfileState[]>;
}

export interface ProfileDifference {
  readonly profileId: string;
  /** `traits`, `computed.<id>`, or `missing` (on one side only). */
  readonly field: string;
  readonly live?: Json | undefined;
  readonly rebuilt?: Json | undefined;
}

export interface VerifyRebuildResult {
  readonly equal: boolean;
  readonly messages: number;
  readonly truncated: boolean;
  readonly manualEdits: number;
  readonly live: { readonly profiles: number };
  readonly rebuilt: { readonly profiles: number };
  /** Up to 20 differences. */
  readonly differences: readonly ProfileDifference[];
}

/** What a rebuild compares: materialised traits and every event-driven computed value. */
function comparable(
  state: ProfileState,
  definitions: Parameters<typeof eventDrivenComputed>[1],
): Record<string, Json> {
  return {
    traits: materialize(state.registers),
    ...Object.fromEntries(
      Object.entries(eventDrivenComputed(state, definitions)).map(([k, v]) => [`computed.${k}`, v]),
    ),
  };
}

/**
 * Rebuilds a workspace's profiles from history into scratch tables (in memory, same use cases
 * and rules as the live consumers): the IDENTITY stream from its start (resolved events, merges,
 * splits, in stream order) plus the manual-edit log, then compares them with the live ones,
 * traits and computed values. Versions are not compared: they count published updates, which
 * depend on how the live consumers happened to batch. It proves the projection; it does not
 * replace it.
 */
export class VerifyRebuildUseCase {
  constructor(
    private readonly log: IdentityLog,
    private readonly live: LiveProjection,
    private readonly definitions: DefinitionSource,
  ) {}

  async execute(command: {
    workspaceId: string;
    maxMessages: number;
  }): Promise<VerifyRebuildResult> {
    const { workspaceId } = command;
    const scratch = new InMemoryProfileStore(false);
    const applyEvents = new ApplyResolvedEventsUseCase(scratch, this.definitions);
    const merge = new MergeProfilesUseCase(scratch, this.definitions);
    const split = new SplitProfileUseCase(scratch, this.definitions);
    const replay = await this.log.replay(
      workspaceId,
      async (message) => {
        switch (message.kind) {
          case 'resolved':
            await applyEvents.execute({ workspaceId, events: message.events });
            return;
          case 'merged':
            await merge.execute({ workspaceId, ...message });
            return;
          case 'split':
            await split.execute({ workspaceId, ...message, at: new Date(0).toISOString() });
            return;
        }
      },
      command.maxMessages,
    );
    const definitions = await this.definitions.definitions(workspaceId);
    const edits = await this.live.manualEdits(workspaceId);
    for (const edit of edits)
      await scratch.transaction(workspaceId, async (uow) => {
        const state = (await lockCanonical(uow, [edit.profileId])).get(edit.profileId);
        if (!state) return;
        if ((await uow.claimFacts([{ profileId: state.id, fact: edit.fact }])).size === 0) return;
        const touched = new TouchedProfiles(definitions);
        touched.touch(state, edit.fact.at);
        applyFact(state, edit.fact, definitions);
        await touched.commit(uow);
      });

    const live = await this.live.liveProfiles(workspaceId);
    const rebuilt = new Map(scratch.liveProfiles(workspaceId).map((p) => [p.id, p]));
    const differences: ProfileDifference[] = [];
    const note = (difference: ProfileDifference): void => {
      if (differences.length < 20) differences.push(difference);
    };
    let count = 0;
    for (const profile of live) {
      const other = rebuilt.get(profile.id);
      rebuilt.delete(profile.id);
      if (!other) {
        note({ profileId: profile.id, field: 'missing', live: profile.id });
        count++;
        continue;
      }
      const a = comparable(profile, definitions);
      const b = comparable(other, definitions);
      for (const field of new Set([...Object.keys(a), ...Object.keys(b)]))
        if (!jsonEqual(a[field], b[field])) {
          note({ profileId: profile.id, field, live: a[field], rebuilt: b[field] });
          count++;
        }
    }
    for (const id of rebuilt.keys()) {
      note({ profileId: id, field: 'missing', rebuilt: id });
      count++;
    }
    return {
      equal: count === 0 && !replay.truncated,
      messages: replay.messages,
      truncated: replay.truncated,
      manualEdits: edits.length,
      live: { profiles: live.length },
      rebuilt: { profiles: scratch.liveProfiles(workspaceId).length },
      differences,
    };
  }
}
