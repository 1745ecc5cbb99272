import { Inject, Injectable, type OnModuleDestroy, type Provider } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DataSource } from 'typeorm';
import { SUBJECTS } from '@cdp/contracts';
import type { Namespace } from '@cdp/messaging';
import { NAMESPACE, NATS_CONNECTION, POSTGRES } from '@cdp/runtime';
import { NatsKeyChangeBus, systemClock } from '@cdp/tenancy';
import { TRACKING_PLAN_DIRECTORY } from '../../sources/application/ports';
import { CachedTrackingPlanChecker } from '../application/cached-tracking-plan-checker';
import { PLAN_COMPILER, type PlanCompiler } from '../application/plan-compiler.port';
import { TRACKING_PLAN_REPOSITORY, type TrackingPlanRepository } from '../application/ports';
import { TRACKING_PLAN_CHANGE_BUS } from '../application/tracking-plan-change-bus';
import { TRACKING_PLAN_CHECKER } from '../application/tracking-plan-checker.port';
import { TrackingPlansService } from '../application/tracking-plans.service';
import { AjvPlanCompiler } from './ajv-plan-compiler';
import { PostgresTrackingPlanRepository } from './postgres-tracking-plan.repository';

/** Stops listening to the tracking-plan bus when the application shuts down. */
@Injectable()
export class TrackingPlanBusLifecycle implements OnModuleDestroy {
  constructor(
    @Inject(TRACKING_PLAN_CHANGE_BUS) private readonly bus: NatsKeyChangeBus,
    @Inject(TRACKING_PLAN_CHECKER) private readonly checker: CachedTrackingPlanChecker,
  ) {}

  onModuleDestroy(): void {
    this.checker.close();
    this.bus.close();
  }
}

export const trackingPlansProviders: Provider[] = [
  {
    provide: TRACKING_PLAN_REPOSITORY,
    useFactory: (db: DataSource) => new PostgresTrackingPlanRepository(db),
    inject: [POSTGRES],
  },
  { provide: PLAN_COMPILER, useValue: new AjvPlanCompiler() },
  {
    provide: TRACKING_PLAN_CHANGE_BUS,
    useFactory: (nc: NatsConnection, namespace: Namespace) => {
      const bus = new NatsKeyChangeBus(nc, {
        namespace: namespace.value,
        subject: SUBJECTS.ingestionTrackingPlanChanged,
      });
      bus.start();
      return bus;
    },
    inject: [NATS_CONNECTION, NAMESPACE],
  },
  {
    provide: TrackingPlansService,
    useFactory: (plans: TrackingPlanRepository, compiler: PlanCompiler, bus: NatsKeyChangeBus) =>
      new TrackingPlansService(plans, compiler, bus, systemClock),
    inject: [TRACKING_PLAN_REPOSITORY, PLAN_COMPILER, TRACKING_PLAN_CHANGE_BUS],
  },
  { provide: TRACKING_PLAN_DIRECTORY, useExisting: TrackingPlansService },
  {
    provide: TRACKING_PLAN_CHECKER,
    useFactory: (plans: TrackingPlanRepository, compiler: PlanCompiler, bus: NatsKeyChangeBus) =>
      new CachedTrackingPlanChecker(plans, compiler, bus, systemClock),
    inject: [TRACKING_PLAN_REPOSITORY, PLAN_COMPILER, TRACKING_PLAN_CHANGE_BUS],
  },
  TrackingPlanBusLifecycle,
];
