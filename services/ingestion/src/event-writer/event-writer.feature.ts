import type { IngestionFeature } from '../ingestion-feature';

export const eventWriterFeature: IngestionFeature = {
  name: 'event-writer',
  roles: ['writer'],
};
