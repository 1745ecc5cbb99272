import type { IngestionFeature } from '../ingestion-feature';

export const collectionFeature: IngestionFeature = {
  name: 'collection',
  roles: ['api'],
};
