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

interface RawMessage {
  readonly seq: number;
  readonly body: unknown;
  readonly workspace: string | undefined;
}

/**
 * Replays a workspace's resolved events, merges and splits from the `IDENTITY` stream in stream
 * order. NATS before 2.10 gives a consumer one filter subject, so three ordered (ephemeral,
 * in-order) consumers read the three subject families and are interleaved by stream sequence:
 * merges and splits (few) are read first, then the resolved batches are streamed. Invalid
 * messages are skipped, as the live consumers dead-letter them.
 */
export class JetStreamIdentityLog implements IdentityLog {
  constructor(
    private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  private async *read(filter: string): AsyncGenerator<RawMessage> {
    const consumer = await jetstream(this.nats).consumers.get(
      this.namespace.stream(STREAMS.identity.name),
      { filter_subjects: this.namespace.subject(filter) },
    );
    try {
      for (;;) {
        let pending = 0;
        let fetched = 0;
        for await (const message of await consumer.fetch(FETCH)) {
          fetched++;
          pending = message.info.pending;
          yield {
            seq: message.seq,
            body: message.json(),
            workspace: message.headers?.get(HEADERS.workspace) ?? undefined,
          };
        }
        if (fetched === 0 || pending === 0) return;
      }
    } finally {
      await consumer.delete().catch(() => undefined);
    }
  }

  private async changes(
    workspaceId: string,
  ): Promise<{ seq: number; message: IdentityLogMessage }[]> {
    const changes: { seq: number; message: IdentityLogMessage }[] = [];
    for await (const raw of this.read(eventSubject(SUBJECTS.profileMerged, workspaceId))) {
      const merged = profileMergedSchema.safeParse(raw.body);
      if (!merged.success) continue;
      const times = (merged.data.evidence ?? [])
        .map((e) => e.observedAt)
        .filter((t): t is string => t !== undefined)
        .map((t) => new Date(t).toISOString())
        .sort();
      changes.push({
        seq: raw.seq,
        message: {
          kind: 'merged',
          messageId: `merge:${merged.data.mergeId}`,
          survivingProfileId: merged.data.survivingProfileId,
          mergedProfileIds: merged.data.mergedProfileIds,
          at: times.at(-1) ?? new Date(0).toISOString(),
        },
      });
    }
    for await (const raw of this.read(eventSubject(SUBJECTS.profileSplit, workspaceId))) {
      const split = profileSplitSchema.safeParse(raw.body);
      if (!split.success) continue;
      changes.push({
        seq: raw.seq,
        message: {
          kind: 'split',
          messageId: `split:${split.data.splitId}`,
          sourceProfileId: split.data.sourceProfileId,
          parts: split.data.parts,
        },
      });
    }
    return changes.sort((a, b) => a.seq - b.seq);
  }

  async replay(
    workspaceId: string,
    onMessage: (message: IdentityLogMessage) => Promise<void>,
    maxMessages: number,
  ): Promise<{ messages: number; truncated: boolean }> {
    const changes = await this.changes(workspaceId);
    let next = 0;
    let messages = 0;
    const emit = async (message: IdentityLogMessage): Promise<boolean> => {
      if (messages >= maxMessages) return false;
      messages++;
      await onMessage(message);
      return true;
    };
    /** Emits the merges and splits stored before `seq`. */
    const changesBefore = async (seq: number): Promise<boolean> => {
      for (let c = changes[next]; c !== undefined && c.seq < seq; c = changes[++next])
        if (!(await emit(c.message))) return false;
      return true;
    };
    for await (const raw of this.read(`${eventSubject(SUBJECTS.eventResolved, workspaceId)}.>`)) {
      if (!(await changesBefore(raw.seq))) return { messages, truncated: true };
      const batch = parseResolvedBatch(raw.body, raw.workspace);
      if (batch.ok && !(await emit({ kind: 'resolved', events: batch.items })))
        return { messages, truncated: true };
    }
    if (!(await changesBefore(Number.POSITIVE_INFINITY))) return { messages, truncated: true };
    return { messages, truncated: false };
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
