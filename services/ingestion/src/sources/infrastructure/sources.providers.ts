import { Inject, Injectable, type OnModuleDestroy, type Provider } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { SUBJECTS } from '@cdp/contracts';
import type { Namespace } from '@cdp/messaging';
import { NAMESPACE, NATS_CONNECTION, POSTGRES } from '@cdp/runtime';
import { NatsKeyChangeBus, systemClock } from '@cdp/tenancy';
import {
  SOURCE_REPOSITORY,
  TRACKING_PLAN_DIRECTORY,
  WRITE_KEY_CHANGE_BUS,
  WRITE_KEY_REPOSITORY,
  type SourceRepository,
  type TrackingPlanDirectory,
  type WriteKeyRepository,
} from '../application/ports';
import { SourceWriteKeyVerifier } from '../application/source-write-key-verifier';
import { SourcesService } from '../application/sources.service';
import { WriteKeysService } from '../application/write-keys.service';
import { WRITE_KEY_VERIFIER } from '../application/write-key-verifier.port';
import { TRACKING_PLAN_CHANGE_BUS } from '../../tracking-plans/application/tracking-plan-change-bus';
import {
  PostgresSourceRepository,
  PostgresWriteKeyRepository,
} from './postgres-sources.repositories';

/** Stops listening to the write-key bus when the application shuts down. */
@Injectable()
export class WriteKeyBusLifecycle implements OnModuleDestroy {
  constructor(
    @Inject(WRITE_KEY_CHANGE_BUS) private readonly bus: NatsKeyChangeBus,
    @Inject(WRITE_KEY_VERIFIER) private readonly verifier: SourceWriteKeyVerifier,
  ) {}

  onModuleDestroy(): void {
    this.verifier.close();
    this.bus.close();
  }
}

export const sourcesProviders: Provider[] = [
  {
    provide: SOURCE_REPOSITORY,
    useFactory: (db: DataSource) => new PostgresSourceRepository(db),
    inject: [POSTGRES],
  },
  {
    provide: WRITE_KEY_REPOSITORY,
    useFactory: (db: DataSource) => new PostgresWriteKeyRepository(db),
    inject: [POSTGRES],
  },
  {
    provide: WRITE_KEY_CHANGE_BUS,
    useFactory: (nc: NatsConnection, namespace: Namespace) => {
      const bus = new NatsKeyChangeBus(nc, {
        namespace: namespace.value,
        subject: SUBJECTS.ingestionWriteKeyChanged,
      });
      bus.start();
      return bus;
    },
    inject: [NATS_CONNECTION, NAMESPACE],
  },
  {
    provide: SourcesService,
    useFactory: (
      sources: SourceRepository,
      keys: WriteKeyRepository,
      plans: TrackingPlanDirectory,
      keyBus: NatsKeyChangeBus,
      planBus: NatsKeyChangeBus,
    ) => new SourcesService(sources, keys, plans, keyBus, planBus, systemClock),
    inject: [
      SOURCE_REPOSITORY,
      WRITE_KEY_REPOSITORY,
      TRACKING_PLAN_DIRECTORY,
      WRITE_KEY_CHANGE_BUS,
      TRACKING_PLAN_CHANGE_BUS,
    ],
  },
  {
    provide: WriteKeysService,
    useFactory: (sources: SourcesService, keys: WriteKeyRepository, bus: NatsKeyChangeBus) =>
      new WriteKeysService(sources, keys, bus, systemClock),
    inject: [SourcesService, WRITE_KEY_REPOSITORY, WRITE_KEY_CHANGE_BUS],
  },
  {
    provide: WRITE_KEY_VERIFIER,
    useFactory: (keys: WriteKeyRepository, bus: NatsKeyChangeBus) =>
      new SourceWriteKeyVerifier(keys, bus, systemClock),
    inject: [WRITE_KEY_REPOSITORY, WRITE_KEY_CHANGE_BUS],
  },
  WriteKeyBusLifecycle,
];
