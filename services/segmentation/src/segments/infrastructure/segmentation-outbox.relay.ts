import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@cdp/messaging';
import { OutboxRelay, POSTGRES, publishOutboxRows, type PublishableOutboxRow } from '@cdp/runtime';

interface SegmentationOutboxRow extends PublishableOutboxRow {
  readonly schema: string;
}

/**
 * Publishes the MembershipChanged rows committed with their transitions (the shared OutboxRelay
 * of @cdp/runtime): a republish after a crash keeps its Nats-Msg-Id, which JetStream
 * deduplicates.
 */
@Injectable()
export class SegmentationOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly relay: OutboxRelay<SegmentationOutboxRow>;

  constructor(
    @Inject(POSTGRES) postgres: DataSource,
    private readonly publisher: EventPublisher,
  ) {
    this.relay = new OutboxRelay<SegmentationOutboxRow>(postgres, {
      name: 'segmentation-outbox',
      table: 'segmentation.outbox',
      columns: ['subject', 'message_id', 'schema', 'payload'],
      batchSize: 200,
      pollMs: 50,
      deliver: (rows) => publishOutboxRows(this.publisher, rows, (row) => row.schema),
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.relay.stop();
  }

  kick(): void {
    this.relay.kick();
  }
}
