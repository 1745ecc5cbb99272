import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { eventSubject, SUBJECTS } from '@cdp/contracts';
import { EventPublisher, JetStreamContext, NonRetryableError } from '@cdp/messaging';
import { MicroBatchCoalescer } from '../../application/micro-batch-coalescer';
import {
  ResolveEventBatchUseCase,
  type ResolvedEventResult,
} from '../../application/resolve-event-batch.use-case';
import { IdentityOutboxRelay } from '../../infrastructure/identity-outbox.relay';
import {
  batchDuration,
  batchEvents,
  resolutionsTotal,
} from '../../infrastructure/identity.metrics';
import { RESOLVED_EVENT_BATCH_SCHEMA } from '../../infrastructure/identity-wire';
import { parseAcceptedEventBatch, type AcceptedEventItem } from './accepted-event-batch.schema';

/** Consumer settings of the resolver (`@EventPattern` extras are static). */
export const RESOLVER_CONSUMER = {
  durable: 'identity-resolver',
  // Many messages in flight, so that the coalescer can resolve them together.
  concurrency: 64,
  batchSize: 64,
  ackWaitMs: 60_000,
  // Postgres/NATS outages are retried for a while; poison batches are dead-lettered at once.
  maxDeliver: 50,
  backoffMs: 500,
  maxBackoffMs: 30_000,
} as const;

/**
 * Events per coalesced resolution (one transaction). Bounded so a transaction stays short
 * (its locks cover every identifier of the run) and takes at most LOCK_BUCKETS advisory locks.
 */
export const MAX_EVENTS_PER_RESOLUTION = 4000;

/**
 * Resolves accepted-event micro-batches and publishes them stamped with their profile id on
 * `cdp.identity.event.resolved.v1.<ws>.<partition>` (the input's partition).
 *
 * Throughput (ADR 0040): the messages in flight of one workspace are coalesced
 * (`MicroBatchCoalescer`) and resolved together, in arrival order, in one transaction
 * (`ResolveEventBatchUseCase`); two runs per workspace may overlap (the second prepares while the first commits, then takes
 * its locks after the first holds its own, so runs resolve in arrival order), and callers get
 * their results in submission order, so the resolved batches of a
 * partition are published in the order their messages arrived.
 *
 * Idempotent under redelivery without an inbox, because:
 * - resolution is idempotent: a replayed event finds its identifiers on one profile and changes
 *   nothing (conflicts are keyed by message id; a merge happens once);
 * - what a resolution changes once (ProfileMerged, identity_map rows) is written to the outbox
 *   in the resolution's own transaction and relayed by IdentityOutboxRelay;
 * - the resolved batch is re-derived: the message is acked only after it was published, so a
 *   crash before the publish redelivers it, re-resolves (no-op) and publishes with the same
 *   Nats-Msg-Id (`resolved:<input id>`), which JetStream deduplicates. An inbox claim would
 *   instead skip that publish on redelivery and lose the batch.
 */
@Controller()
export class AcceptedEventsConsumer {
  private readonly coalescer: MicroBatchCoalescer<AcceptedEventItem, ResolvedEventResult>;

  constructor(
    resolveBatch: ResolveEventBatchUseCase,
    private readonly publisher: EventPublisher,
    private readonly outbox: IdentityOutboxRelay,
  ) {
    this.coalescer = new MicroBatchCoalescer(
      async (workspaceId, events, turn) => {
        const stop = batchDuration.startTimer();
        try {
          const { results } = await resolveBatch.execute({ workspaceId, events, turn });
          stop({ outcome: 'ok' });
          batchEvents.observe(events.length);
          const outcomes = new Map<string, number>();
          for (const r of results) outcomes.set(r.outcome, (outcomes.get(r.outcome) ?? 0) + 1);
          for (const [outcome, count] of outcomes) resolutionsTotal.inc({ outcome }, count);
          return results;
        } catch (error) {
          stop({ outcome: 'error' });
          throw error;
        } finally {
          // Merges and identity_map changes of the resolutions that committed.
          this.outbox.kick();
        }
      },
      { maxItems: MAX_EVENTS_PER_RESOLUTION, maxParallel: 2 },
    );
  }

  @EventPattern(`${SUBJECTS.eventAccepted}.>`, { ...RESOLVER_CONSUMER })
  async onAccepted(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const batch = parseAcceptedEventBatch(payload, ctx.workspaceId);
    if (!batch.ok) throw new NonRetryableError(batch.reason); // → dead letter
    if (batch.items.length === 0) return;
    const workspaceId = ctx.workspaceId ?? '';
    const partition = ctx.subject.split('.').at(-1) ?? '0';
    const results = await this.coalescer.submit(workspaceId, batch.items);
    // An event without any usable identifier (junk ids) has no profile: profileId omitted.
    const resolved = batch.items.map((event, i) => {
      const profileId = results[i]?.profileId ?? null;
      return profileId === null ? { ...event } : { ...event, profileId };
    });
    const inputId = ctx.messageId ?? `${ctx.stream}:${ctx.streamSequence}`;
    await this.publisher.publish(
      eventSubject(SUBJECTS.eventResolved, workspaceId, partition),
      { items: resolved },
      { messageId: `resolved:${inputId}`, workspaceId, schema: RESOLVED_EVENT_BATCH_SCHEMA },
    );
  }
}
