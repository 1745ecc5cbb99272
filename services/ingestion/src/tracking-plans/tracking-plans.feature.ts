import type { IngestionFeature } from '../ingestion-feature';
import { CreateTrackingPlans1764000200000 } from './infrastructure/migrations/1764000200000-create-tracking-plans';
import { trackingPlansProviders } from './infrastructure/tracking-plans.providers';
import { TrackingPlansController } from './interface/http/tracking-plans.controller';

/** Tracking plans (JSON Schema per event) and the TRACKING_PLAN_CHECKER of collection. */
export const trackingPlansFeature: IngestionFeature = {
  name: 'tracking-plans',
  roles: ['api'],
  controllers: [TrackingPlansController],
  providers: trackingPlansProviders,
  migrations: [CreateTrackingPlans1764000200000],
};
