import type { VerifiedWriteKey } from '../../sources/application/write-key-verifier.port';

/** Why one event of a request was refused, naming the field. */
export interface EventRejection {
  /** Position of the event in the request (0 for a single-event call). */
  readonly index: number;
  readonly errors: readonly { readonly field: string; readonly message: string }[];
}

export interface CollectResult {
  /** messageIds of the accepted events, in request order. */
  readonly accepted: readonly string[];
  readonly rejected: readonly EventRejection[];
}

export interface CollectOptions {
  /** Batch-level `context` / `integrations` merged into each item (Segment /v1/batch semantics). */
  readonly context?: unknown;
  readonly integrations?: unknown;
  /** Batch-level `sentAt` used for clock-skew correction when an item has none. */
  readonly sentAt?: unknown;
  /** Server receive time of the request (defaults to now). */
  readonly receivedAt?: Date;
  /** For /v1/track etc.: the type implied by the path (an item's own `type` is then ignored). */
  readonly impliedType?: string;
}

/**
 * The one path every event takes into the platform (HTTP calls, batches, bulk imports):
 * validate, apply the tracking plan, fix timestamps, publish durably, record in the debugger.
 * Resolves only once every accepted event is stored in JetStream; rejects with a retryable
 * DomainError (`unavailable`, 503 + Retry-After) when it cannot store them, in which case the
 * caller must not acknowledge any of them.
 */
export interface EventCollector {
  collect(
    source: VerifiedWriteKey,
    rawEvents: readonly unknown[],
    options?: CollectOptions,
  ): Promise<CollectResult>;
}

export const EVENT_COLLECTOR = Symbol.for('cdp.ingestion.event-collector');
