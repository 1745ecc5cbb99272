import type { AcceptedEvent } from '../../events/domain/accepted-event';

/** An accepted event and the partition of its person. */
export interface PartitionedEvent {
  readonly event: AcceptedEvent;
  readonly partition: number;
  /** The event's JSON when the caller already wrote it (else the sink serialises `event`). */
  readonly json?: string;
  /** UTF-8 bytes of `json`, when known. */
  readonly bytes?: number;
}

/**
 * Durable destination of accepted events (JetStream). `publishAll` resolves once every event of
 * the call is stored and rejects with a retryable DomainError (`unavailable`) otherwise. One
 * call per request keeps the hot path at one promise per request, not one per event.
 */
export interface AcceptedEventSink {
  publishAll(events: readonly PartitionedEvent[]): Promise<void>;
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
