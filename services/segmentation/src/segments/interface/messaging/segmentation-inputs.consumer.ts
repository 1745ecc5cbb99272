import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { z } from 'zod';
import { SUBJECTS } from '@cdp/contracts';
import { JetStreamContext, NonRetryableError } from '@cdp/messaging';
import { RealtimeInputsUseCase } from '../../application/realtime-inputs.use-case';
import { ResolvedEventsBatcher } from '../../application/resolved-events.batcher';
import { evaluationDuration } from '../../infrastructure/segmentation.metrics';
import {
  crmEventSchema,
  parseResolvedItems,
  profileMergedSchema,
  profileSplitSchema,
  profileUpdatedSchema,
  resolvedBatchSchema,
} from './segmentation-inputs.schema';

const RETRY = { maxDeliver: 50, backoffMs: 250, maxBackoffMs: 30_000, ackWaitMs: 60_000 } as const;

function parse<T extends z.ZodType>(schema: T, payload: unknown, what: string): z.output<T> {
  const result = schema.safeParse(payload);
  if (!result.success)
    throw new NonRetryableError(`invalid ${what}: ${result.error.issues[0]?.message ?? ''}`);
  return result.data;
}

function workspace(ctx: JetStreamContext): string {
  const ws = ctx.workspaceId;
  if (!ws) throw new NonRetryableError('message without cdp-workspace header');
  return ws;
}

/**
 * Real-time inputs of segmentation. Every handler is idempotent (see RealtimeInputsUseCase), so
 * redeliveries need no inbox; CRM changes run one at a time because their payloads are diffs
 * applied in aggregate-version order.
 */
@Controller()
export class SegmentationInputsConsumer {
  constructor(
    private readonly inputs: RealtimeInputsUseCase,
    private readonly batcher: ResolvedEventsBatcher,
  ) {}

  private async timed(input: string, work: () => Promise<unknown>): Promise<void> {
    const stop = evaluationDuration.startTimer({ input });
    try {
      await work();
      stop({ outcome: 'ok' });
    } catch (error) {
      stop({ outcome: 'error' });
      throw error;
    }
    // No kick per message: the relay's short poll publishes many messages' rows in one
    // transaction (one relay transaction per message halved throughput under load).
  }

  @EventPattern(`${SUBJECTS.eventResolved}.>`, {
    durable: 'segmentation-resolved-events',
    // Handlers mostly wait for their group's transaction (ResolvedEventsBatcher).
    concurrency: 32,
    batchSize: 32,
    ...RETRY,
  })
  async onResolved(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const batch = parse(resolvedBatchSchema, payload, 'ResolvedEventBatch');
    await this.timed('resolved_events', () =>
      this.batcher.submit(workspace(ctx), parseResolvedItems(batch.items)),
    );
  }

  @EventPattern(`${SUBJECTS.profileUpdated}.>`, {
    durable: 'segmentation-profile-updates',
    concurrency: 8,
    batchSize: 16,
    ...RETRY,
  })
  async onProfileUpdated(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const update = parse(profileUpdatedSchema, payload, 'ProfileUpdated');
    await this.timed('profile_updated', () =>
      this.inputs.profileUpdated(workspace(ctx), update.profileId, update.version, update.changes),
    );
  }

  @EventPattern('cdp.crm.>', {
    durable: 'segmentation-crm',
    concurrency: 1,
    batchSize: 16,
    ...RETRY,
  })
  async onCrm(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const change = parse(crmEventSchema, payload, 'CrmEvent');
    await this.timed('crm', () => this.inputs.crmChanged(workspace(ctx), change));
  }

  @EventPattern(`${SUBJECTS.profileMerged}.>`, {
    durable: 'segmentation-merges',
    concurrency: 4,
    ...RETRY,
  })
  async onMerged(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const merged = parse(profileMergedSchema, payload, 'ProfileMerged');
    await this.timed('merged', () =>
      this.inputs.profilesMerged(
        workspace(ctx),
        merged.survivingProfileId,
        merged.mergedProfileIds,
      ),
    );
  }

  @EventPattern(`${SUBJECTS.profileSplit}.>`, {
    durable: 'segmentation-splits',
    concurrency: 4,
    ...RETRY,
  })
  async onSplit(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const split = parse(profileSplitSchema, payload, 'ProfileSplit');
    await this.timed('split', () =>
      this.inputs.profileSplit(workspace(ctx), split.sourceProfileId, split.parts),
    );
  }
}
