import type { IngestionFeature } from '../ingestion-feature';

export const debuggerFeature: IngestionFeature = {
  name: 'debugger',
  roles: ['api'],
};
