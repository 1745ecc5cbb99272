import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { EventPublisher } from '@cdp/messaging';
import { OutboxRelay, POSTGRES, publishOutboxRows, type PublishableOutboxRow } from '@cdp/runtime';
import { type UpdateNotifier } from '../application/profile-store.port';
import { updatesRelayed } from './profile.metrics';
import { PROFILE_UPDATED_SCHEMA } from './profile-wire';

/**
 * Relays `profile.outbox` (the shared OutboxRelay of @cdp/runtime): a ProfileUpdated leaves
 * Postgres only after the projection step that produced it committed. A republish after a crash
 * keeps its Nats-Msg-Id (`profile-updated:<id>:v<version>`), which JetStream deduplicates and
 * consumers drop by version anyway.
 */
@Injectable()
export class ProfileOutboxRelay implements OnApplicationBootstrap, OnModuleDestroy, UpdateNotifier {
  private readonly relay: OutboxRelay<PublishableOutboxRow>;

  constructor(
    @Inject(POSTGRES) postgres: DataSource,
    private readonly publisher: EventPublisher,
  ) {
    this.relay = new OutboxRelay<PublishableOutboxRow>(postgres, {
      name: 'profile-outbox',
      table: 'profile.outbox',
      columns: ['subject', 'message_id', 'payload'],
      deliver: async (rows) => {
        await publishOutboxRows(this.publisher, rows, () => PROFILE_UPDATED_SCHEMA);
        updatesRelayed.inc(rows.length);
      },
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  onModuleDestroy(): Promise<void> {
    return this.relay.stop();
  }

  /** Drains soon (after the running drain, if any). Never throws. */
  notify(): void {
    this.relay.kick();
  }

  /** Drains until the outbox is empty; returns the rows relayed. */
  drainAll(): Promise<number> {
    return this.relay.drainAll();
  }
}
