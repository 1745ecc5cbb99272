/**
 * Consumer settings of the event writer (`@EventPattern` extras are static). Concurrency bounds
 * the buffer: at most `concurrency` messages (each ≤ the publisher's batch bytes) wait in memory,
 * and the buffer flushes as soon as all of them are there. 256 × ~100 events ≥ WRITER_FLUSH_ROWS.
 */
export const WRITER_CONSUMER = {
  durable: 'event-writer',
  concurrency: 256,
  batchSize: 64,
  ackWaitMs: 60_000,
  // ClickHouse outages are retried for a long time before anything is dead-lettered; poison
  // batches are dead-lettered at once (NonRetryableError).
  maxDeliver: 100,
  backoffMs: 1000,
  maxBackoffMs: 30_000,
  maxAckPending: 1024,
} as const;
