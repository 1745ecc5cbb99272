import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { createLogger } from '@cdp/observability';
import { INGESTION_CONFIG, type IngestionConfig } from '../../config/ingestion.env';
import type { AcceptedEvent } from '../../events/domain/accepted-event';
import { toEventRow } from '../domain/event-row';
import { EventBuffer } from './event-buffer';
import { EVENT_STORE, type EventStore } from './event-store.port';
import { WriteEventsUseCase } from './write-events.use-case';
import { WRITER_CONSUMER } from './writer-consumer.options';
import {
  writerBufferRows,
  writerDuplicatesDropped,
  writerEventsRefused,
  writerFlushDuration,
  writerFlushRows,
  writerRowsInserted,
} from '../infrastructure/event-writer.metrics';

const log = createLogger('event-writer');

/** Optional start-up hook of a store (the ClickHouse one aligns the dedup TTL). */
interface AlignsDedupTtl {
  alignDedupTtl(windowHours: number): Promise<boolean>;
}

/**
 * Buffers consumed batches and flushes them to ClickHouse by size and by time. `write` resolves
 * when the batch is durable (then the transport acks it) and rejects when it must be redelivered.
 */
@Injectable()
export class EventWriterService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly buffer: EventBuffer;
  private readonly useCase: WriteEventsUseCase;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
  ) {
    this.useCase = new WriteEventsUseCase(store, {
      dedupWindowHours: config.INGEST_DEDUP_WINDOW_HOURS,
      claimTimeoutMs: config.WRITER_CLAIM_TIMEOUT_MS,
    });
    this.buffer = new EventBuffer(
      async (batches) => {
        const result = await this.useCase.execute(randomUUID(), batches);
        writerRowsInserted.inc(result.inserted);
        writerDuplicatesDropped.inc(result.duplicates);
        if (result.refused > 0) {
          writerEventsRefused.inc(result.refused);
          log.warn({ refused: result.refused }, 'ClickHouse refused events; dead-lettering them');
        }
        return result;
      },
      {
        flushRows: config.WRITER_FLUSH_ROWS,
        flushIntervalMs: config.WRITER_FLUSH_INTERVAL_MS,
        maxPendingBatches: WRITER_CONSUMER.concurrency,
        onSize: (rows) => writerBufferRows.set(rows),
        onFlush: ({ rows, batches, seconds, ok }) => {
          writerFlushDuration.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
          writerFlushRows.observe(rows);
          if (!ok) log.warn({ rows, batches }, 'flush failed; its batches will be redelivered');
        },
      },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const store = this.store as Partial<AlignsDedupTtl>;
    if (typeof store.alignDedupTtl === 'function') {
      const changed = await store.alignDedupTtl(this.config.INGEST_DEDUP_WINDOW_HOURS);
      if (changed)
        log.info({ hours: this.config.INGEST_DEDUP_WINDOW_HOURS }, 'dedup table TTL aligned');
    }
  }

  /** Resolves once the events are in ClickHouse (or known duplicates). */
  write(events: readonly AcceptedEvent[]): Promise<void> {
    return this.buffer.add(events.map(toEventRow));
  }

  /**
   * Nest calls this after module destroy and BEFORE it closes the JetStream transport: flush
   * what is buffered now, and from then on flush each batch as it comes, so the transport's
   * drain finds its in-flight handlers completing instead of waiting out the flush interval.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.buffer.close();
  }
}
