import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@cdp/messaging';
import { OutboxRelay, POSTGRES, publishOutboxRows, type PublishableOutboxRow } from '@cdp/runtime';
import { CRM_EVENT_SCHEMA } from './crm-wire';
import { outboxRelayed } from './crm.metrics';

/**
 * Relays `crm.outbox` to JetStream (the shared OutboxRelay of @cdp/runtime): a CRM event leaves
 * Postgres only after the transaction that appended it committed. Kicks coalesce for 20 ms, so
 * the events of the commands committed meanwhile leave in one drain; one aggregate's events
 * reach the stream in version order (rows are published in id order). Consumers are idempotent
 * on (aggregateId, version) besides JetStream's Nats-Msg-Id deduplication.
 */
@Injectable()
export class CrmOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly relay: OutboxRelay<PublishableOutboxRow>;

  constructor(
    @Inject(POSTGRES) postgres: DataSource,
    private readonly publisher: EventPublisher,
  ) {
    this.relay = new OutboxRelay<PublishableOutboxRow>(postgres, {
      name: 'crm-outbox',
      table: 'crm.outbox',
      columns: ['subject', 'message_id', 'payload'],
      pollMs: 200,
      coalesceMs: 20,
      deliver: async (rows) => {
        await publishOutboxRows(this.publisher, rows, () => CRM_EVENT_SCHEMA);
        outboxRelayed.inc(rows.length);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.relay.stop();
  }

  /** Drains within a few milliseconds (commands in between share the drain). Never throws. */
  kick(): void {
    this.relay.kick();
  }

  /** Drains until the outbox is empty; returns the rows relayed. */
  drainAll(): Promise<number> {
    return this.relay.drainAll();
  }
}
