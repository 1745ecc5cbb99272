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
import { CRM_EVENT_SCHEMA } from './crm-wire';
import { outboxRelayed } from './crm.metrics';

const log = createLogger('crm-outbox');

interface OutboxRow {
  id: string;
  workspace_id: string;
  subject: string;
  message_id: string;
  payload: unknown;
}

/** Rows per drain transaction. */
const DRAIN_BATCH = 500;
const POLL_MS = 200;
/**
 * A kick waits this long before draining, so the events of the commands committed meanwhile
 * leave in one drain (one transaction for many rows instead of one per command).
 */
const COALESCE_MS = 20;

/**
 * Drains `crm.outbox` to JetStream: a CRM event leaves Postgres only after the transaction that
 * appended it committed, and a crash between the commit and the publish loses nothing. Rows are
 * locked `FOR UPDATE SKIP LOCKED` (pods drain in parallel) and deleted, then published before
 * the transaction commits (a failed publish rolls the delete back); a crash after the publish re-publishes with the same Nats-Msg-Id, which JetStream
 * deduplicates (and consumers are idempotent on (aggregateId, version) anyway).
 *
 * Publishes of one batch are issued together and awaited together: the client writes them in
 * call order, so one aggregate's events reach the stream in version order.
 */
@Injectable()
export class CrmOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private scheduled: NodeJS.Timeout | undefined;

  constructor(
    @Inject(POSTGRES) private readonly postgres: DataSource,
    private readonly publisher: EventPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.drainNow(), POLL_MS);
    this.timer.unref();
    this.drainNow();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.scheduled) clearTimeout(this.scheduled);
    await this.running;
  }

  /** Drains within a few milliseconds (commands in between share the drain). Never throws. */
  kick(): void {
    if (this.stopped || this.scheduled) return;
    this.scheduled = setTimeout(() => {
      this.scheduled = undefined;
      this.drainNow();
    }, COALESCE_MS);
  }

  /** Drains now (after the running drain, if any). Never throws. */
  drainNow(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drainAll()
      .then(() => undefined)
      .catch((error: unknown) => log.warn({ err: error }, 'outbox drain failed; retrying'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.drainNow();
        }
      });
  }

  /** Drains until the outbox is empty; returns the rows relayed. */
  async drainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const relayed = await this.drainOnce();
      total += relayed;
      if (relayed < DRAIN_BATCH || this.stopped) return total;
    }
  }

  private drainOnce(): Promise<number> {
    return this.postgres.transaction(async (manager) => {
      // Deleted up front and published before the commit: a failed publish rolls the delete back.
      // TypeORM answers a DELETE with [rows, count].
      const [rows] = await manager.query<[OutboxRow[], number]>(
        `DELETE FROM crm.outbox WHERE id IN (
           SELECT id FROM crm.outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id, workspace_id, subject, message_id, payload`,
        [DRAIN_BATCH],
      );
      if (rows.length === 0) return 0;
      rows.sort((a, b) => Number(a.id) - Number(b.id));
      await Promise.all(
        rows.map((row) =>
          this.publisher.publish(row.subject, row.payload, {
            messageId: row.message_id,
            workspaceId: row.workspace_id,
            schema: CRM_EVENT_SCHEMA,
          }),
        ),
      );
      outboxRelayed.inc(rows.length);
      return rows.length;
    });
  }
}
