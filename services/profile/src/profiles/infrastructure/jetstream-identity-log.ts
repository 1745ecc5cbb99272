import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventSubject, HEADERS, STREAMS, SUBJECTS } from '@cdp/contracts';
import { type Namespace } from '@cdp/messaging';
import type { DataSource } from 'typeorm';
import {
  type IdentityLog,
  type IdentityLogMessage,
  type LiveProjection,
} from '../application/verify-rebuild.use-case';
import { type OwnedFact } from '../application/profile-store.port';
import { type ProfileFact } from '../domain/profile-fact';
import { type ProfileState } from '../domain/profile-state';
import {
  parseResolvedBatch,
  profileMergedSchema,
  profileSplitSchema,
} from '../interface/messaging/identity-messages.schema';
import { stateFromRow } from './postgres-profile-store';

const FETCH = { max_messages: 256, expires: 1000 };

/**
 * Replays a workspace's resolved events, merges and splits from the `IDENTITY` stream with an
 * ordered (ephemeral, in-order) consumer filtered on the workspace's subjects. Invalid messages
 * are skipped, as the live consumers dead-letter them.
 */
export class JetStreamIdentityLog implements IdentityLog {
  constructor(
    private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async replay(
    workspaceId: string,
    onMessage: (message: IdentityLogMessage) => Promise<void>,
    maxMessages: number,
  ): Promise<{ messages: number; truncated: boolean }> {
    const consumer = await jetstream(this.nats).consumers.get(
      this.namespace.stream(STREAMS.identity.name),
      {
        filter_subjects: [
          `${eventSubject(SUBJECTS.eventResolved, workspaceId)}.>`,
          eventSubject(SUBJECTS.profileMerged, workspaceId),
          eventSubject(SUBJECTS.profileSplit, workspaceId),
        ].map((s) => this.namespace.subject(s)),
      },
    );
    const resolvedPrefix = this.namespace.subject(SUBJECTS.eventResolved);
    const mergedPrefix = this.namespace.subject(SUBJECTS.profileMerged);
    let messages = 0;
    try {
      for (;;) {
        let pending = 0;
        let fetched = 0;
        for await (const message of await consumer.fetch(FETCH)) {
          fetched++;
          pending = message.info.pending;
          messages++;
          const body: unknown = message.json();
          const workspace = message.headers?.get(HEADERS.workspace) ?? undefined;
          if (message.subject.startsWith(resolvedPrefix)) {
            const batch = parseResolvedBatch(body, workspace);
            if (batch.ok) await onMessage({ kind: 'resolved', events: batch.items });
          } else if (message.subject.startsWith(mergedPrefix)) {
            const merged = profileMergedSchema.safeParse(body);
            if (merged.success) {
              const times = (merged.data.evidence ?? [])
                .map((e) => e.observedAt)
                .filter((t): t is string => t !== undefined)
                .map((t) => new Date(t).toISOString())
                .sort();
              await onMessage({
                kind: 'merged',
                messageId: `merge:${merged.data.mergeId}`,
                survivingProfileId: merged.data.survivingProfileId,
                mergedProfileIds: merged.data.mergedProfileIds,
                at: times.at(-1) ?? new Date(0).toISOString(),
              });
            }
          } else {
            const split = profileSplitSchema.safeParse(body);
            if (split.success)
              await onMessage({
                kind: 'split',
                messageId: `split:${split.data.splitId}`,
                sourceProfileId: split.data.sourceProfileId,
                parts: split.data.parts,
              });
          }
          if (messages >= maxMessages) return { messages, truncated: pending > 0 };
        }
        if (fetched === 0 || pending === 0) break;
      }
      return { messages, truncated: false };
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }
}

/** The live side of a rebuild check, from Postgres. */
export class PostgresLiveProjection implements LiveProjection {
  constructor(private readonly postgres: DataSource) {}

  async manualEdits(workspaceId: string): Promise<OwnedFact[]> {
    const rows = await this.postgres.query<{ profile_id: string; fact: ProfileFact }[]>(
      `SELECT profile_id, fact FROM profile.facts
       WHERE workspace_id = $1 AND kind = 'manual' ORDER BY at, message_id`,
      [workspaceId],
    );
    return rows.map((r) => ({ profileId: r.profile_id, fact: r.fact }));
  }

  async liveProfiles(workspaceId: string): Promise<ProfileState[]> {
    const rows = await this.postgres.query<
      { id: string; version: string; merged_into: string | null; state: Record<string, unknown> }[]
    >(
      `SELECT id, version, merged_into, state FROM profile.profiles
       WHERE workspace_id = $1 AND merged_into IS NULL AND state ? 'registers'`,
      [workspaceId],
    );
    return rows.map(stateFromRow).filter((s): s is ProfileState => s !== undefined);
  }
}
