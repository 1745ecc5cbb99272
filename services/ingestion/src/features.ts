import type { IngestionFeature } from './ingestion-feature';
import { collectionFeature } from './collection/collection.feature';
import { debuggerFeature } from './debugger/debugger.feature';
import { eventWriterFeature } from './event-writer/event-writer.feature';
import { importsFeature } from './imports/imports.feature';
import { sourcesFeature } from './sources/sources.feature';
import { trackingPlansFeature } from './tracking-plans/tracking-plans.feature';

/** Every feature of the ingestion service. */
export const INGESTION_FEATURES: readonly IngestionFeature[] = [
  sourcesFeature,
  trackingPlansFeature,
  debuggerFeature,
  collectionFeature,
  importsFeature,
  eventWriterFeature,
];
