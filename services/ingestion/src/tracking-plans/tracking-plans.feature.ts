import type { IngestionFeature } from '../ingestion-feature';

export const trackingPlansFeature: IngestionFeature = {
  name: 'tracking-plans',
  roles: ['api'],
};
