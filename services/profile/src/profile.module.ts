import { type DynamicModule, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Namespace } from '@cdp/messaging';
import type { ClickHouseClient } from '@cdp/persistence';
import {
  CLICKHOUSE,
  infrastructureProviders,
  NAMESPACE,
  NATS_CONNECTION,
  POSTGRES,
  type ServiceInfrastructure,
} from '@cdp/runtime';
import { type ProfileServiceConfig } from './config/profile.env';
import { ApplyResolvedEventsUseCase } from './profiles/application/apply-resolved-events.use-case';
import { AttachmentsService } from './profiles/application/attachments.service';
import { DefineComputedTraitUseCase } from './profiles/application/define-computed-trait.use-case';
import { EditTraitsUseCase } from './profiles/application/edit-traits.use-case';
import { MergeProfilesUseCase } from './profiles/application/merge-profiles.use-case';
import { ProfileQueriesService } from './profiles/application/profile-queries.service';
import { type UpdateNotifier } from './profiles/application/profile-store.port';
import { ResolvedEventsCoalescer } from './profiles/application/resolved-events-coalescer';
import { SplitProfileUseCase } from './profiles/application/split-profile.use-case';
import { VerifyRebuildUseCase } from './profiles/application/verify-rebuild.use-case';
import { ClickHouseTimeline } from './profiles/infrastructure/clickhouse-timeline';
import {
  JetStreamIdentityLog,
  PostgresLiveProjection,
} from './profiles/infrastructure/jetstream-identity-log';
import { PostgresAttachments } from './profiles/infrastructure/postgres-attachments';
import { PostgresDefinitions } from './profiles/infrastructure/postgres-definitions';
import { PostgresProfileReader } from './profiles/infrastructure/postgres-profile-reader';
import { PostgresProfileStore } from './profiles/infrastructure/postgres-profile-store';
import { ProfileOutboxRelay } from './profiles/infrastructure/profile-outbox.relay';
import { eventsApplied } from './profiles/infrastructure/profile.metrics';
import { AttachmentsController } from './profiles/interface/http/attachments.controller';
import {
  ComputedTraitsController,
  DEFINITIONS,
} from './profiles/interface/http/computed-traits.controller';
import { ProfilesController } from './profiles/interface/http/profiles.controller';
import {
  IdentityEventsConsumer,
  UPDATE_NOTIFIER,
} from './profiles/interface/messaging/identity-events.consumer';

/**
 * Resolved batches waiting for a transaction are folded together: up to 2,000 events per
 * transaction, 3 transactions at once (bench/RESULTS.md "Profile").
 */
const COALESCING = { maxEvents: 2000, maxTransactions: 3 } as const;

/** Unified customer profiles: traits with provenance, computed traits, timeline. */
@Module({})
export class ProfileModule {
  static register(infrastructure: ServiceInfrastructure): DynamicModule {
    // The platform validated the environment against the service's schema already.
    const config = infrastructure.config as unknown as ProfileServiceConfig;
    const store = new PostgresProfileStore(infrastructure.postgres);
    const definitions = new PostgresDefinitions(infrastructure.postgres);
    const reader = new PostgresProfileReader(infrastructure.postgres);
    const api = config.PROFILE_ROLES.includes('api');
    const projector = config.PROFILE_ROLES.includes('projector');
    return {
      module: ProfileModule,
      controllers: [
        ...(projector ? [IdentityEventsConsumer] : []),
        ...(api ? [ProfilesController, AttachmentsController, ComputedTraitsController] : []),
      ],
      providers: [
        ...infrastructureProviders(infrastructure),
        { provide: DEFINITIONS, useValue: definitions },
        {
          provide: ApplyResolvedEventsUseCase,
          useFactory: () => new ApplyResolvedEventsUseCase(store, definitions),
        },
        {
          provide: ResolvedEventsCoalescer,
          inject: [ApplyResolvedEventsUseCase, UPDATE_NOTIFIER],
          useFactory: (apply: ApplyResolvedEventsUseCase, outbox: UpdateNotifier) =>
            new ResolvedEventsCoalescer(
              (command) => apply.execute(command),
              COALESCING,
              (result) => {
                eventsApplied.inc({ outcome: 'applied' }, result.applied);
                eventsApplied.inc({ outcome: 'duplicate' }, result.duplicates);
                if (result.updates.length > 0) outbox.notify();
              },
            ),
        },
        {
          provide: MergeProfilesUseCase,
          useFactory: () => new MergeProfilesUseCase(store, definitions),
        },
        {
          provide: SplitProfileUseCase,
          useFactory: () => new SplitProfileUseCase(store, definitions),
        },
        { provide: EditTraitsUseCase, useFactory: () => new EditTraitsUseCase(store, definitions) },
        {
          provide: DefineComputedTraitUseCase,
          useFactory: () => new DefineComputedTraitUseCase(store, definitions, reader),
        },
        {
          provide: ProfileQueriesService,
          inject: [CLICKHOUSE],
          useFactory: (clickhouse: ClickHouseClient | undefined) => {
            if (!clickhouse) throw new Error('the profile service needs CLICKHOUSE_URL');
            const timeline = new ClickHouseTimeline(clickhouse);
            return new ProfileQueriesService(reader, definitions, timeline, timeline);
          },
        },
        {
          provide: AttachmentsService,
          useFactory: () =>
            new AttachmentsService(
              reader,
              new PostgresAttachments(infrastructure.postgres),
              config.PROFILE_NOTE_MAX_BYTES,
            ),
        },
        {
          provide: VerifyRebuildUseCase,
          inject: [NATS_CONNECTION, NAMESPACE, POSTGRES],
          useFactory: (nats: NatsConnection, namespace: Namespace, postgres: DataSource) =>
            new VerifyRebuildUseCase(
              new JetStreamIdentityLog(nats, namespace),
              new PostgresLiveProjection(postgres),
              definitions,
            ),
        },
        // API edits (PATCH, computed-trait backfills) write to the outbox too; an API-only process
        // relays them itself rather than waiting for a projector to poll.
        ProfileOutboxRelay,
        { provide: UPDATE_NOTIFIER, useExisting: ProfileOutboxRelay },
      ],
    };
  }
}
