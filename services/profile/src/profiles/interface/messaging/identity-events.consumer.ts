import { Controller, Inject } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SUBJECTS } from '@cdp/contracts';
import { JetStreamContext, NonRetryableError } from '@cdp/messaging';
import { MergeProfilesUseCase } from '../../application/merge-profiles.use-case';
import { type UpdateNotifier } from '../../application/profile-store.port';
import { ResolvedEventsCoalescer } from '../../application/resolved-events-coalescer';
import { SplitProfileUseCase } from '../../application/split-profile.use-case';
import { eventsApplied, projectionDuration } from '../../infrastructure/profile.metrics';
import {
  describeIssue,
  parseResolvedBatch,
  profileMergedSchema,
  profileSplitSchema,
} from './identity-messages.schema';

export const UPDATE_NOTIFIER = Symbol.for('cdp.profile.update-notifier');

const RETRY = { maxDeliver: 50, backoffMs: 500, maxBackoffMs: 30_000, ackWaitMs: 60_000 } as const;

/** Consumer settings (`@EventPattern` extras are static). */
export const PROFILE_CONSUMERS = {
  // 16 messages in flight feed the coalescer, which runs at most 3 transactions at once.
  resolved: { durable: 'profile-resolved-events', concurrency: 16, batchSize: 16, ...RETRY },
  merged: { durable: 'profile-merges', concurrency: 1, batchSize: 16, ...RETRY },
  split: { durable: 'profile-splits', concurrency: 1, batchSize: 16, ...RETRY },
} as const;

function workspaceOf(ctx: JetStreamContext): string {
  if (!ctx.workspaceId) throw new NonRetryableError('message has no cdp-workspace header');
  return ctx.workspaceId;
}

async function timed<T>(kind: string, work: () => Promise<T>): Promise<T> {
  const stop = projectionDuration.startTimer({ kind });
  try {
    const result = await work();
    stop({ outcome: 'ok' });
    return result;
  } catch (error) {
    stop({ outcome: 'error' });
    throw error;
  }
}

/**
 * Feeds the profile projection from the IDENTITY stream. Idempotent under redelivery and
 * replay: resolved events are claimed one by one by message id in the step's transaction;
 * merges and splits go through the inbox. Invalid payloads are dead-lettered at once.
 */
@Controller()
export class IdentityEventsConsumer {
  constructor(
    private readonly resolved: ResolvedEventsCoalescer,
    private readonly merge: MergeProfilesUseCase,
    private readonly split: SplitProfileUseCase,
    @Inject(UPDATE_NOTIFIER) private readonly outbox: UpdateNotifier,
  ) {}

  @EventPattern(`${SUBJECTS.eventResolved}.>`, { ...PROFILE_CONSUMERS.resolved })
  async onResolved(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const batch = parseResolvedBatch(payload, ctx.workspaceId);
    if (!batch.ok) throw new NonRetryableError(batch.reason);
    const workspaceId = workspaceOf(ctx);
    eventsApplied.inc({ outcome: 'no_profile' }, batch.items.filter((i) => !i.profileId).length);
    // Applied with the other messages waiting for a transaction (metrics and the outbox wake-up
    // happen once per transaction, in the module's onApplied).
    await timed('resolved', () => this.resolved.submit({ workspaceId, events: batch.items }));
  }

  @EventPattern(`${SUBJECTS.profileMerged}.>`, { ...PROFILE_CONSUMERS.merged })
  async onMerged(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const parsed = profileMergedSchema.safeParse(payload);
    if (!parsed.success)
      throw new NonRetryableError(`invalid ProfileMerged ${describeIssue(parsed.error)}`);
    const workspaceId = workspaceOf(ctx);
    const observed = (parsed.data.evidence ?? [])
      .map((e) => e.observedAt)
      .filter((t): t is string => t !== undefined)
      .map((t) => new Date(t).toISOString())
      .sort();
    await timed('merged', () =>
      this.merge.execute({
        workspaceId,
        messageId: `merge:${parsed.data.mergeId}`,
        survivingProfileId: parsed.data.survivingProfileId,
        mergedProfileIds: parsed.data.mergedProfileIds,
        at: observed.at(-1) ?? new Date(0).toISOString(),
      }),
    );
    this.outbox.notify();
  }

  @EventPattern(`${SUBJECTS.profileSplit}.>`, { ...PROFILE_CONSUMERS.split })
  async onSplit(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const parsed = profileSplitSchema.safeParse(payload);
    if (!parsed.success)
      throw new NonRetryableError(`invalid ProfileSplit ${describeIssue(parsed.error)}`);
    const workspaceId = workspaceOf(ctx);
    await timed('split', () =>
      this.split.execute({
        workspaceId,
        messageId: `split:${parsed.data.splitId}`,
        sourceProfileId: parsed.data.sourceProfileId,
        parts: parsed.data.parts,
        // The computed traits of the parts are re-computed now.
        at: new Date().toISOString(),
      }),
    );
    this.outbox.notify();
  }
}
