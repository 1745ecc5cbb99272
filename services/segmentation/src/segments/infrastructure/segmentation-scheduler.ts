import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { createLogger } from '@cdp/observability';
import { POSTGRES } from '@cdp/runtime';
import { BatchEvaluator } from '../application/batch-evaluator';
import { RealtimeInputsUseCase } from '../application/realtime-inputs.use-case';
import { PostgresSegmentStore } from './postgres-segment.store';
import { returningRows } from './postgres-segmentation.tx';
import { SEGMENTATION_SETTINGS, type SegmentationSettings } from './segmentation-settings';

const log = createLogger('segmentation-scheduler');
const RECHECK_BATCH = 500;

/**
 * Time passes: due re-checks (a hit leaving a "last T" window, a relative date crossing its
 * bound) re-evaluate only the (segment, profile) pairs concerned; a periodic batch re-evaluates
 * every segment as a safety net. Rows are claimed `FOR UPDATE SKIP LOCKED`, so pods share them.
 */
@Injectable()
export class SegmentationScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private busy: Promise<unknown> | undefined;

  constructor(
    @Inject(POSTGRES) private readonly postgres: DataSource,
    private readonly inputs: RealtimeInputsUseCase,
    private readonly batch: BatchEvaluator,
    private readonly store: PostgresSegmentStore,
    @Inject(SEGMENTATION_SETTINGS) private readonly settings: SegmentationSettings,
  ) {}

  onApplicationBootstrap(): void {
    const every = (ms: number, work: () => Promise<unknown>) => {
      const timer = setInterval(() => {
        if (this.stopped || this.busy) return;
        this.busy = work()
          .catch((error: unknown) => log.warn({ err: error }, 'scheduled work failed'))
          .finally(() => (this.busy = undefined));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.settings.recheckIntervalMs, () => this.runDueRechecks());
    if (this.settings.batchIntervalMs > 0)
      every(this.settings.batchIntervalMs, () => this.runScheduledBatch());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    await this.busy;
  }

  /** Re-evaluates due (segment, profile) pairs; returns how many were processed. */
  async runDueRechecks(): Promise<number> {
    let total = 0;
    for (;;) {
      const claimed = await this.postgres.transaction(async (db) => {
        const result: unknown = await db.query(
          `DELETE FROM segmentation.rechecks WHERE (workspace_id, segment_id, profile_id) IN (
             SELECT workspace_id, segment_id, profile_id FROM segmentation.rechecks WHERE due_at <= now()
             ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING workspace_id, segment_id, profile_id`,
          [RECHECK_BATCH],
        );
        return returningRows<{ workspace_id: string; segment_id: string; profile_id: string }>(
          result,
        );
      });
      if (claimed.length === 0) return total;
      const groups = new Map<string, { ws: string; segment: string; profiles: string[] }>();
      for (const row of claimed) {
        const key = `${row.workspace_id}/${row.segment_id}`;
        const group = groups.get(key) ?? {
          ws: row.workspace_id,
          segment: row.segment_id,
          profiles: [],
        };
        group.profiles.push(row.profile_id);
        groups.set(key, group);
      }
      // Evaluation sets the next re-check (or none) for each profile it looks at.
      for (const group of groups.values())
        await this.inputs.recheck(group.ws, group.segment, group.profiles);
      total += claimed.length;
      if (claimed.length < RECHECK_BATCH || this.stopped) return total;
    }
  }

  async runScheduledBatch(): Promise<void> {
    for (const ws of await this.store.workspaces())
      for (const segment of await this.store.list(ws)) {
        if (this.stopped) return;
        await this.batch.evaluateSegment(segment);
      }
  }
}
