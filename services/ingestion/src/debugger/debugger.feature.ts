import type { IngestionFeature } from '../ingestion-feature';
import { debuggerProviders } from './infrastructure/debugger.providers';
import { SourceEventsController } from './interface/http/source-events.controller';

/** The live debugger: EVENT_DEBUGGER (in-memory samples) and GET /v1/sources/:id/events. */
export const debuggerFeature: IngestionFeature = {
  name: 'debugger',
  roles: ['api'],
  controllers: [SourceEventsController],
  providers: debuggerProviders,
};
