import type { IngestionFeature } from '../ingestion-feature';

export const sourcesFeature: IngestionFeature = {
  name: 'sources',
  roles: ['api'],
};
