import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { eventSubject, SUBJECTS } from '@cdp/contracts';
import { EventPublisher, JetStreamContext, NonRetryableError } from '@cdp/messaging';
import { createLogger } from '@cdp/observability';
import { ResolveCrmContactUseCase } from '../../application/resolve-crm-contact.use-case';
import { crmContactPartition } from '../../domain/crm-contact-observation';
import { IdentityOutboxRelay } from '../../infrastructure/identity-outbox.relay';
import { resolutionsTotal } from '../../infrastructure/identity.metrics';
import { RESOLVED_EVENT_BATCH_SCHEMA } from '../../infrastructure/identity-wire';
import { parseCrmContactEvent } from './crm-contact-event.schema';

const log = createLogger('identity-crm-contacts');

/** Consumer settings of the CRM contact evidence consumer. */
export const CRM_CONTACTS_CONSUMER = {
  durable: 'identity-crm-contacts',
  // One at a time per pod: a contact's echoes reach the profile in the order of its versions
  // (CRM edits come at human pace; the resolver's batching is not needed here).
  concurrency: 1,
  batchSize: 16,
  ackWaitMs: 60_000,
  maxDeliver: 50,
  backoffMs: 500,
  maxBackoffMs: 30_000,
} as const;

/**
 * CRM contacts as identity evidence (docs/integration-contracts.md): resolves every contact
 * created/updated (not the CRM's echoes of CDP changes) and publishes the synthetic identify on
 * `cdp.identity.event.resolved.v1.<ws>.<partition>`. One filter subject per consumer (NATS
 * 2.9), so it takes `cdp.crm.contact.>` and acks the other contact events unread.
 *
 * Same delivery argument as the accepted-event resolver: merges and identity_map changes leave
 * through the outbox of the resolution's transaction; the echo is re-derived and acked only
 * after its publish (Nats-Msg-Id `resolved:crm-contact-<id>-v<version>`), so a crash in between
 * re-resolves (a no-op) and publishes the same message again.
 */
@Controller()
export class CrmContactsConsumer {
  constructor(
    private readonly resolveContact: ResolveCrmContactUseCase,
    private readonly publisher: EventPublisher,
    private readonly outbox: IdentityOutboxRelay,
  ) {}

  @EventPattern('cdp.crm.contact.>', { ...CRM_CONTACTS_CONSUMER })
  async onContactEvent(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const parsed = parseCrmContactEvent(
      payload,
      {
        workspaceId: ctx.workspaceId,
        subject: ctx.subject,
        occurredAtHeader: ctx.getHeader('cdp-occurred-at'),
      },
      () => new Date().toISOString(),
    );
    if (parsed.kind === 'invalid') throw new NonRetryableError(parsed.reason); // → dead letter
    if (parsed.kind === 'skip') return;
    const { change } = parsed;
    let result: Awaited<ReturnType<ResolveCrmContactUseCase['execute']>>;
    try {
      result = await this.resolveContact.execute(change);
    } finally {
      this.outbox.kick();
    }
    if (result.kind === 'skipped') return;
    resolutionsTotal.inc({ outcome: result.resolution.outcome });
    if (result.rejected.length > 0)
      log.info(
        { contactId: change.contactId, rejected: result.rejected },
        'contact values refused as identifiers',
      );
    const messageId = String(result.resolvedEvent['messageId']);
    await this.publisher.publish(
      eventSubject(
        SUBJECTS.eventResolved,
        change.workspaceId,
        crmContactPartition(change.workspaceId, change.contactId),
      ),
      { items: [result.resolvedEvent] },
      {
        messageId: `resolved:${messageId}`,
        workspaceId: change.workspaceId,
        schema: RESOLVED_EVENT_BATCH_SCHEMA,
      },
    );
  }
}
