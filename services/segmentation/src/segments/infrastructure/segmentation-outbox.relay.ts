import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@cdp/messaging';
import { createLogger } from '@cdp/observability';
import { POSTGRES } from '@cdp/runtime';

const log = createLogger('segmentation-outbox');
const DRAIN_BATCH = 200;
const POLL_MS = 50;

interface OutboxRow {
  id: string;
  workspace_id: string;
  subject: string;
  message_id: string;
  schema: string;
  payload: unknown;
}

/**
 * Publishes MembershipChanged rows committed with their transitions. Rows are locked
 * `FOR UPDATE SKIP LOCKED`, published, then deleted in one transaction: a crash in between
 * publishes again with the same Nats-Msg-Id, which JetStream deduplicates.
 */
@Injectable()
export class SegmentationOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(POSTGRES) private readonly postgres: DataSource,
    private readonly publisher: EventPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainAll()
      .catch((error: unknown) => log.warn({ err: error }, 'outbox drain failed; retrying'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drainAll(): Promise<void> {
    for (;;) {
      const relayed = await this.postgres.transaction(async (db) => {
        const rows = await db.query<OutboxRow[]>(
          `SELECT id, workspace_id, subject, message_id, schema, payload FROM segmentation.outbox
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [DRAIN_BATCH],
        );
        for (const row of rows)
          await this.publisher.publish(row.subject, row.payload, {
            messageId: row.message_id,
            workspaceId: row.workspace_id,
            schema: row.schema,
          });
        if (rows.length > 0)
          await db.query(`DELETE FROM segmentation.outbox WHERE id = ANY($1::bigint[])`, [
            rows.map((r) => r.id),
          ]);
        return rows.length;
      });
      if (relayed < DRAIN_BATCH || this.stopped) return;
    }
  }
}
