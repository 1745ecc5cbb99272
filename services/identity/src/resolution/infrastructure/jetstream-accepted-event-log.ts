import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { eventSubject, HEADERS, STREAMS, SUBJECTS } from '@cdp/contracts';
import { type Namespace } from '@cdp/messaging';
import { type AcceptedEventLog } from '../application/verify-rebuild.use-case';
import { parseAcceptedEventBatch } from '../interface/messaging/accepted-event-batch.schema';

const FETCH = { max_messages: 256, expires: 1000 };

/**
 * Replays a workspace's accepted-event batches from the `EVENTS` stream with an ordered
 * (ephemeral, in-order) consumer filtered on `cdp.ingestion.event.accepted.v1.<ws>.>`.
 * Invalid batches are skipped, as the resolver dead-letters them.
 */
export class JetStreamAcceptedEventLog implements AcceptedEventLog {
  constructor(
    private readonly nats: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async replay(
    workspaceId: string,
    onBatch: Parameters<AcceptedEventLog['replay']>[1],
    maxEvents: number,
  ): ReturnType<AcceptedEventLog['replay']> {
    const consumer = await jetstream(this.nats).consumers.get(
      this.namespace.stream(STREAMS.ingestion.name),
      {
        filter_subjects: this.namespace.subject(
          `${eventSubject(SUBJECTS.eventAccepted, workspaceId)}.>`,
        ),
      },
    );
    let messages = 0;
    let events = 0;
    for (;;) {
      let pending = 0;
      let fetched = 0;
      for await (const message of await consumer.fetch(FETCH)) {
        fetched++;
        pending = message.info.pending;
        const batch = parseAcceptedEventBatch(
          message.json(),
          message.headers?.get(HEADERS.workspace) ?? undefined,
        );
        messages++;
        if (!batch.ok) continue;
        await onBatch(batch.items);
        events += batch.items.length;
        if (events >= maxEvents) {
          await consumer.delete().catch(() => undefined);
          return { messages, events, truncated: pending > 0 };
        }
      }
      if (fetched === 0 || pending === 0) break;
    }
    await consumer.delete().catch(() => undefined);
    return { messages, events, truncated: false };
  }
}
