import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SUBJECTS } from '@cdp/contracts';
import { JetStreamContext, NonRetryableError } from '@cdp/messaging';
import { type CdpViewStore } from '../../application/cdp-view.ports';
import { cdpMessageDuration, cdpMessagesTotal } from '../../../records/infrastructure/crm.metrics';
import {
  contactLinks,
  parseMembershipChanged,
  parseMerged,
  parseSplit,
  parseProfileUpdated,
} from './cdp-messages.schema';

export const CDP_VIEW_STORE = Symbol('CDP_VIEW_STORE');

const CONSUMER = {
  concurrency: 4,
  batchSize: 16,
  ackWaitMs: 30_000,
  maxDeliver: 20,
  backoffMs: 500,
  maxBackoffMs: 30_000,
} as const;

export const CDP_VIEW_DURABLES = {
  resolved: 'crm-contact-links',
  merged: 'crm-profile-merges',
  split: 'crm-profile-splits',
  updated: 'crm-profile-updates',
  memberships: 'crm-segment-memberships',
} as const;

function workspaceOf(ctx: JetStreamContext): string {
  if (!ctx.workspaceId) throw new NonRetryableError('message has no cdp-workspace header');
  return ctx.workspaceId;
}

function messageIdOf(ctx: JetStreamContext): string {
  return ctx.messageId ?? `${ctx.stream}:${ctx.streamSequence}`;
}

/**
 * Keeps the contacts' CDP view current from CDP messages. Nothing here appends to crm.events or
 * publishes: a CDP fact changes only the view, so it can never come back to the CDP as a CRM
 * change (no loop). Idempotent: links and trait changes carry versions (older never overwrite
 * newer), and merges / memberships are claimed in the inbox with their effects.
 */
@Controller()
export class CdpViewConsumers {
  constructor(@Inject(CDP_VIEW_STORE) private readonly store: CdpViewStore) {}

  /** Identity's echo of a CRM contact names the profile it resolved to. */
  @EventPattern(`${SUBJECTS.eventResolved}.>`, { durable: CDP_VIEW_DURABLES.resolved, ...CONSUMER })
  async onResolved(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const workspaceId = workspaceOf(ctx);
    const links = contactLinks(payload);
    if (typeof links === 'string') throw new NonRetryableError(links);
    if (links.length === 0) return; // behavioral events: nothing for the CRM
    const stop = cdpMessageDuration.startTimer({ kind: 'resolved' });
    // Claimed in the inbox like the others; the link is also guarded by the contact version
    // (a late echo of an older contact version never re-points a newer link).
    await this.store.once(CDP_VIEW_DURABLES.resolved, workspaceId, messageIdOf(ctx), (tx) =>
      tx.link(workspaceId, links).then(() => undefined),
    );
    stop();
    cdpMessagesTotal.inc({ kind: 'resolved', outcome: 'applied' }, links.length);
  }

  @EventPattern(`${SUBJECTS.profileMerged}.>`, { durable: CDP_VIEW_DURABLES.merged, ...CONSUMER })
  async onMerged(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const workspaceId = workspaceOf(ctx);
    const merge = parseMerged(payload);
    if (typeof merge === 'string') throw new NonRetryableError(merge);
    await this.run('merged', ctx, workspaceId, (tx) =>
      tx.repoint(workspaceId, merge.survivingProfileId, merge.mergedProfileIds),
    );
  }

  /** A split re-points each contact to the part that holds its crm_contact_id identifier. */
  @EventPattern(`${SUBJECTS.profileSplit}.>`, { durable: CDP_VIEW_DURABLES.split, ...CONSUMER })
  async onSplit(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const workspaceId = workspaceOf(ctx);
    const split = parseSplit(payload);
    if (typeof split === 'string') throw new NonRetryableError(split);
    await this.run('split', ctx, workspaceId, (tx) =>
      tx.split(workspaceId, split.sourceProfileId, split.parts),
    );
  }

  @EventPattern(`${SUBJECTS.profileUpdated}.>`, { durable: CDP_VIEW_DURABLES.updated, ...CONSUMER })
  async onProfileUpdated(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const workspaceId = workspaceOf(ctx);
    const update = parseProfileUpdated(payload);
    if (typeof update === 'string') throw new NonRetryableError(update);
    await this.run('updated', ctx, workspaceId, async (tx) => {
      await tx.updateTraits(workspaceId, update.profileId, update.version, update.changes);
    });
  }

  @EventPattern(`${SUBJECTS.membershipChanged}.>`, {
    durable: CDP_VIEW_DURABLES.memberships,
    ...CONSUMER,
  })
  async onMembership(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const workspaceId = workspaceOf(ctx);
    const change = parseMembershipChanged(payload);
    if (typeof change === 'string') throw new NonRetryableError(change);
    await this.run('memberships', ctx, workspaceId, (tx) =>
      tx.memberships(workspaceId, change.segmentId, change.segmentVersion, change.changes),
    );
  }

  private async run(
    kind: keyof typeof CDP_VIEW_DURABLES,
    ctx: JetStreamContext,
    workspaceId: string,
    work: Parameters<CdpViewStore['once']>[3],
  ): Promise<void> {
    const stop = cdpMessageDuration.startTimer({ kind });
    const applied = await this.store.once(
      CDP_VIEW_DURABLES[kind],
      workspaceId,
      messageIdOf(ctx),
      work,
    );
    stop();
    cdpMessagesTotal.inc({ kind, outcome: applied ? 'applied' : 'duplicate' });
  }
}
