import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { ClickHouseClient } from '@cdp/persistence';
import { EventPublisher } from '@cdp/messaging';
import {
  CLICKHOUSE,
  OutboxRelay,
  POSTGRES,
  publishOutboxRows,
  type OutboxRow,
  type PublishableOutboxRow,
} from '@cdp/runtime';
import { outboxRelayed } from './identity.metrics';
import { type IdentityMapChange } from './postgres-identity-graph';

interface IdentityOutboxRow extends OutboxRow {
  readonly kind: 'event' | 'identity_map';
  readonly subject: string | null;
  readonly message_id: string | null;
  readonly schema: string | null;
  readonly payload: unknown;
}

type EventRow = PublishableOutboxRow & { readonly schema: string };

/**
 * Relays `identity.outbox` (the shared OutboxRelay of @cdp/runtime): what a resolution committed
 * (ProfileMerged / ProfileSplit events, identity_map changes) leaves Postgres only after that
 * commit. A redelivery after a crash publishes with the same Nats-Msg-Id (deduplicated by
 * JetStream) and re-inserts identity_map rows with the same versions (ReplacingMergeTree keeps
 * one).
 */
@Injectable()
export class IdentityOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly relay: OutboxRelay<IdentityOutboxRow>;

  constructor(
    @Inject(POSTGRES) postgres: DataSource,
    private readonly publisher: EventPublisher,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient | undefined,
  ) {
    this.relay = new OutboxRelay<IdentityOutboxRow>(postgres, {
      name: 'identity-outbox',
      table: 'identity.outbox',
      columns: ['kind', 'subject', 'message_id', 'schema', 'payload'],
      batchSize: 200,
      deliver: (rows) => this.deliver(rows),
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.relay.stop();
  }

  /** Drains soon (after the running drain, if any). Never throws. */
  kick(): void {
    this.relay.kick();
  }

  /** Drains until the outbox is empty; returns the rows relayed. */
  drainAll(): Promise<number> {
    return this.relay.drainAll();
  }

  private async deliver(rows: readonly IdentityOutboxRow[]): Promise<void> {
    const events: EventRow[] = [];
    const mapRows: Record<string, unknown>[] = [];
    for (const row of rows) {
      if (row.kind === 'event') {
        const { subject, message_id: messageId, schema } = row;
        if (subject === null || messageId === null || schema === null)
          throw new Error(`outbox row ${row.id} has no subject/message id/schema`);
        events.push({ ...row, subject, message_id: messageId, schema });
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
    await publishOutboxRows(this.publisher, events, (row) => row.schema);
    if (mapRows.length > 0) {
      if (!this.clickhouse) throw new Error('identity_map needs CLICKHOUSE_URL');
      await this.clickhouse.insert({
        table: 'identity_map',
        values: mapRows,
        format: 'JSONEachRow',
      });
    }
    for (const row of rows) outboxRelayed.inc({ kind: row.kind });
  }
}
