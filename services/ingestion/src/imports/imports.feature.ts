import type { IngestionFeature } from '../ingestion-feature';

export const importsFeature: IngestionFeature = {
  name: 'imports',
  roles: ['api'],
};
