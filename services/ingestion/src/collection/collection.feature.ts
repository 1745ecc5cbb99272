import type { IngestionFeature } from '../ingestion-feature';
import { ACCEPTED_EVENT_SINK, COLLECTION_METRICS } from './application/accepted-event-sink.port';
import { EVENT_COLLECTOR } from './application/event-collector.port';
import { CollectEventsUseCase } from './application/collect-events.use-case';
import { CollectRateLimiter } from './application/collect-rate-limiter';
import { PrometheusCollectionMetrics } from './infrastructure/collection.metrics';
import { JetStreamEventSink } from './infrastructure/jetstream-event-sink';
import { CollectBodyParsers } from './interface/http/collect-body-parsers';
import { CollectController } from './interface/http/collect.controller';

/** Segment-compatible collection API and the EVENT_COLLECTOR every event goes through. */
export const collectionFeature: IngestionFeature = {
  name: 'collection',
  roles: ['api'],
  controllers: [CollectController],
  providers: [
    JetStreamEventSink,
    { provide: ACCEPTED_EVENT_SINK, useExisting: JetStreamEventSink },
    { provide: COLLECTION_METRICS, useClass: PrometheusCollectionMetrics },
    CollectEventsUseCase,
    { provide: EVENT_COLLECTOR, useExisting: CollectEventsUseCase },
    CollectRateLimiter,
    CollectBodyParsers,
  ],
};
