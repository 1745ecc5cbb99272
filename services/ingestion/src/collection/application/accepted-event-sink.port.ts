import type { AcceptedEvent } from '../../events/domain/accepted-event';

/**
 * Durable destination of accepted events (JetStream). `publish` resolves once the event is
 * stored and rejects with a retryable DomainError (`unavailable`) otherwise.
 */
export interface AcceptedEventSink {
  publish(event: AcceptedEvent, partition: number): Promise<void>;
}

export const ACCEPTED_EVENT_SINK = Symbol.for('cdp.ingestion.accepted-event-sink');

/** Counters of the collection path (Prometheus in production, fakes in tests). */
export interface CollectionMetrics {
  accepted(count: number): void;
  /** `reason`: a bounded label such as `invalid`, `blocked`, `unavailable`. */
  rejected(reason: string, count: number): void;
  requestSize(events: number): void;
}

export const COLLECTION_METRICS = Symbol.for('cdp.ingestion.collection-metrics');
