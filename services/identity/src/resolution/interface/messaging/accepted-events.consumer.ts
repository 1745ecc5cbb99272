import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { eventSubject, SUBJECTS } from '@cdp/contracts';
import { EventPublisher, JetStreamContext, NonRetryableError } from '@cdp/messaging';
import { ResolveEventUseCase } from '../../application/resolve-event.use-case';
import { IdentityOutboxRelay } from '../../infrastructure/identity-outbox.relay';
import { resolutionDuration, resolutionsTotal } from '../../infrastructure/identity.metrics';
import { RESOLVED_EVENT_BATCH_SCHEMA } from '../../infrastructure/identity-wire';
import { parseAcceptedEventBatch } from './accepted-event-batch.schema';

/** Consumer settings of the resolver (`@EventPattern` extras are static). */
export const RESOLVER_CONSUMER = {
  durable: 'identity-resolver',
  concurrency: 16,
  batchSize: 16,
  ackWaitMs: 60_000,
  // Postgres/NATS outages are retried for a while; poison batches are dead-lettered at once.
  maxDeliver: 50,
  backoffMs: 500,
  maxBackoffMs: 30_000,
} as const;

/**
 * Resolves accepted-event micro-batches (events in order within a message) and publishes them
 * stamped with their profile id on `cdp.identity.event.resolved.v1.<ws>.<partition>` (the input's
 * partition). Idempotent under redelivery without an inbox, because:
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
  constructor(
    private readonly resolveEvent: ResolveEventUseCase,
    private readonly publisher: EventPublisher,
    private readonly outbox: IdentityOutboxRelay,
  ) {}

  @EventPattern(`${SUBJECTS.eventAccepted}.>`, { ...RESOLVER_CONSUMER })
  async onAccepted(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const batch = parseAcceptedEventBatch(payload, ctx.workspaceId);
    if (!batch.ok) throw new NonRetryableError(batch.reason); // → dead letter
    const workspaceId = ctx.workspaceId ?? '';
    const partition = ctx.subject.split('.').at(-1) ?? '0';
    const resolved: Record<string, unknown>[] = [];
    try {
      for (const event of batch.items) {
        const stop = resolutionDuration.startTimer();
        let result: Awaited<ReturnType<ResolveEventUseCase['execute']>>;
        try {
          result = await this.resolveEvent.execute({ event });
        } catch (error) {
          stop({ outcome: 'error' });
          throw error;
        }
        stop({ outcome: result.outcome });
        resolutionsTotal.inc({ outcome: result.outcome });
        // An event without any usable identifier (junk ids) has no profile: profileId omitted.
        resolved.push(
          result.profileId === null ? { ...event } : { ...event, profileId: result.profileId },
        );
      }
    } finally {
      // Merges and identity_map changes of the resolutions that committed.
      this.outbox.kick();
    }
    if (resolved.length === 0) return;
    const inputId = ctx.messageId ?? `${ctx.stream}:${ctx.streamSequence}`;
    await this.publisher.publish(
      eventSubject(SUBJECTS.eventResolved, workspaceId, partition),
      { items: resolved },
      { messageId: `resolved:${inputId}`, workspaceId, schema: RESOLVED_EVENT_BATCH_SCHEMA },
    );
  }
}
