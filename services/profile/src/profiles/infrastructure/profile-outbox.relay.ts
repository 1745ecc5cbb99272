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
import { type UpdateNotifier } from '../application/profile-store.port';
import { updatesRelayed } from './profile.metrics';
import { PROFILE_UPDATED_SCHEMA } from './profile-wire';

const log = createLogger('profile-outbox');

interface OutboxRow {
  id: string;
  workspace_id: string;
  subject: string;
  message_id: string;
  payload: unknown;
}

/** Rows per drain transaction; published concurrently (PubAcks pipelined). */
const DRAIN_BATCH = 500;
const POLL_MS = 250;

/**
 * Drains `profile.outbox`: a ProfileUpdated leaves Postgres only through here, after the
 * projection step that produced it committed, so a crash between commit and publish loses
 * nothing. Rows are locked `FOR UPDATE SKIP LOCKED` (pods drain in parallel), published, then
 * deleted in the same transaction; a crash after the publish republishes with the same
 * Nats-Msg-Id (`profile-updated:<id>:v<version>`), which JetStream deduplicates and consumers
 * drop by version anyway.
 */
@Injectable()
export class ProfileOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy, UpdateNotifier {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(POSTGRES) private readonly postgres: DataSource,
    private readonly publisher: EventPublisher,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.notify(), POLL_MS);
    this.timer.unref();
    this.notify();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Drains soon (after the running drain, if any). Never throws. */
  notify(): void {
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
          this.notify();
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
      const rows = await manager.query<OutboxRow[]>(
        `SELECT id, workspace_id, subject, message_id, payload
         FROM profile.outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [DRAIN_BATCH],
      );
      if (rows.length === 0) return 0;
      await Promise.all(
        rows.map((row) =>
          this.publisher.publish(row.subject, row.payload, {
            messageId: row.message_id,
            workspaceId: row.workspace_id,
            schema: PROFILE_UPDATED_SCHEMA,
          }),
        ),
      );
      updatesRelayed.inc(rows.length);
      await manager.query('DELETE FROM profile.outbox WHERE id = ANY($1::bigint[])', [
        rows.map((r) => r.id),
      ]);
      return rows.length;
    });
  }
}
