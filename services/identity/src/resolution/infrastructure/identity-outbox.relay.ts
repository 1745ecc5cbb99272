import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ClickHouseClient } from '@cdp/persistence';
import { EventPublisher } from '@cdp/messaging';
import { createLogger } from '@cdp/observability';
import { CLICKHOUSE, POSTGRES } from '@cdp/runtime';
import { outboxRelayed } from './identity.metrics';
import { type IdentityMapChange } from './postgres-identity-graph';

const log = createLogger('identity-outbox');

interface OutboxRow {
  id: string;
  workspace_id: string;
  kind: 'event' | 'identity_map';
  subject: string | null;
  message_id: string | null;
  schema: string | null;
  payload: unknown;
}

/** Rows per drain transaction. */
const DRAIN_BATCH = 200;
const POLL_MS = 250;

/**
 * Drains `identity.outbox`: what a resolution committed (ProfileMerged / ProfileSplit events,
 * identity_map changes) leaves Postgres only through here, so a crash between the commit and
 * the publish loses nothing. Rows are locked `FOR UPDATE SKIP LOCKED` (several pods drain in
 * parallel), published, then deleted in the same transaction: a crash after the publish and
 * before the commit publishes again with the same Nats-Msg-Id (deduplicated by JetStream) and
 * re-inserts identity_map rows with the same versions (ReplacingMergeTree keeps one).
 */
@Injectable()
export class IdentityOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(POSTGRES) private readonly postgres: DataSource,
    private readonly publisher: EventPublisher,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient | undefined,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Drains soon (after the running drain, if any). Never throws. */
  kick(): void {
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
          this.kick();
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
        `SELECT id, workspace_id, kind, subject, message_id, schema, payload
         FROM identity.outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [DRAIN_BATCH],
      );
      if (rows.length === 0) return 0;
      const mapRows: Record<string, unknown>[] = [];
      for (const row of rows) {
        if (row.kind === 'event') {
          if (row.subject === null || row.message_id === null || row.schema === null)
            throw new Error(`outbox row ${row.id} has no subject/message id/schema`);
          await this.publisher.publish(row.subject, row.payload, {
            messageId: row.message_id,
            workspaceId: row.workspace_id,
            schema: row.schema,
          });
        } else {
          for (const change of row.payload as IdentityMapChange[])
            mapRows.push({
              workspace_id: row.workspace_id,
              identifier_type: change.type,
              identifier_value: change.value,
              profile_id: change.profileId,
              version: change.version,
            });
        }
      }
      if (mapRows.length > 0) {
        if (!this.clickhouse) throw new Error('identity_map needs CLICKHOUSE_URL');
        await this.clickhouse.insert({
          table: 'identity_map',
          values: mapRows,
          format: 'JSONEachRow',
        });
      }
      for (const row of rows) outboxRelayed.inc({ kind: row.kind });
      await manager.query('DELETE FROM identity.outbox WHERE id = ANY($1::bigint[])', [
        rows.map((r) => r.id),
      ]);
      return rows.length;
    });
  }
}
