import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { DomainError, eventSubject, SUBJECTS } from '@cdp/contracts';
import { BatchingPublisher, EventPublisher, type RoutedBatchItem } from '@cdp/messaging';
import { createLogger } from '@cdp/observability';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config/ingestion.env';
import { ACCEPTED_EVENT_BATCH_SCHEMA } from '../../events/domain/accepted-event';
import type { AcceptedEventSink, PartitionedEvent } from '../application/accepted-event-sink.port';

const log = createLogger('ingestion.collection');

/** Seconds a client is told to wait when JetStream cannot store its events. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 2;

/**
 * Publishes accepted events as micro-batches (`{"items":[...]}`, schema
 * `cdp.ingestion.v1.EventBatch`) on `cdp.ingestion.event.accepted.v1.<workspace>.<partition>`.
 * Memory is bounded by INGEST_PUBLISH_MAX_PENDING_BYTES (past it: 503 at once) and each batch by
 * the PubAck timeout INGEST_PUBLISH_TIMEOUT_MS; the NATS client reconnects by itself, so the
 * next request after NATS is back succeeds. Open batches are flushed on shutdown.
 */
@Injectable()
export class JetStreamEventSink implements AcceptedEventSink, OnModuleDestroy {
  private readonly batching: BatchingPublisher;
  private readonly subjects = new Map<string, string[]>();

  constructor(
    @Inject(EventPublisher) publisher: EventPublisher,
    @Inject(INGESTION_CONFIG) config: IngestionConfig,
  ) {
    this.batching = new BatchingPublisher(publisher, {
      lingerMs: config.INGEST_PUBLISH_LINGER_MS,
      maxPendingBytes: config.INGEST_PUBLISH_MAX_PENDING_BYTES,
      timeoutMs: config.INGEST_PUBLISH_TIMEOUT_MS,
      retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
    });
  }

  /**
   * Not async on purpose: the events (and what they reference) are handed to the batching
   * publisher at once, and only its promise waits for JetStream.
   */
  publishAll(events: readonly PartitionedEvent[]): Promise<void> {
    const workspaceId = events[0]?.event.workspaceId;
    if (workspaceId === undefined) return Promise.resolve();
    let stored: Promise<unknown>;
    try {
      // One routed call (one promise) for the whole request, whatever its partitions.
      const subjects = this.subjectsOf(workspaceId);
      const items = new Array<RoutedBatchItem>(events.length);
      for (let i = 0; i < events.length; i++) {
        const { event, partition, json, bytes } = events[i] as PartitionedEvent;
        items[i] = {
          subject: subjects[partition] ?? this.subjectOf(workspaceId, partition),
          item: event,
          messageId: event.messageId,
          json,
          bytes,
        };
      }
      stored = this.batching.addRouted(items, {
        workspaceId,
        schema: ACCEPTED_EVENT_BATCH_SCHEMA,
      });
    } catch (error) {
      stored = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return stored.then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof DomainError && error.kind === 'unavailable') throw error;
        log.warn({ err: error }, 'publishing accepted events failed');
        throw new DomainError(
          'unavailable',
          'ingestion.publish_failed',
          'events could not be stored, retry later',
          undefined,
          UNAVAILABLE_RETRY_AFTER_SECONDS,
        );
      },
    );
  }

  /** The subjects of a workspace by partition (filled as partitions are seen). */
  private subjectsOf(workspaceId: string): string[] {
    let subjects = this.subjects.get(workspaceId);
    if (subjects === undefined) {
      if (this.subjects.size > 100_000) this.subjects.clear();
      this.subjects.set(workspaceId, (subjects = []));
    }
    return subjects;
  }

  /** Subjects are built (and their tokens checked) once per workspace and partition. */
  private subjectOf(workspaceId: string, partition: number): string {
    const subject = eventSubject(SUBJECTS.eventAccepted, workspaceId, partition);
    this.subjectsOf(workspaceId)[partition] = subject;
    return subject;
  }

  /** Bytes accepted and not yet stored. */
  get pendingBytes(): number {
    return this.batching.pendingBytes;
  }

  async onModuleDestroy(): Promise<void> {
    await this.batching.close();
  }
}
