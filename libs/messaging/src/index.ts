export { connectNats, type ConnectNatsOptions } from './connection';
export { Namespace } from './namespace';
export { NatsUnavailableError, NonRetryableError, isRetryable, describeError } from './errors';
export { subjectMatches, subjectCovers, isValidSubject } from './subject-match';
export { computeBackoffMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
export { planAdd, BATCH_ENVELOPE_BYTES, type BatchLimits, type BatchState } from './batch-policy';
export {
  buildDeadLetterHeaders,
  deadLetterSubject,
  deadLetterMsgId,
  DLQ_ORIGINAL_MSG_ID_HEADER,
  type DeadLetterCause,
} from './dead-letter';
export {
  ensureStreams,
  ensureConsumer,
  resolveStreamSettings,
  DEFAULT_STREAM_SETTINGS,
  type StreamSettings,
  type StreamOverrides,
  type ConsumerSpec,
} from './streams';
export { JetStreamContext, QueryContext, type JetStreamMessageInfo } from './jetstream-context';
export {
  JetStreamServer,
  parseEventHandlerOptions,
  DEFAULT_CONSUMER,
  type JetStreamServerOptions,
  type EventHandlerOptions,
  type QueryHandlerOptions,
  type ConsumerDefaults,
} from './jetstream.server';
export { JetStreamExceptionFilter } from './exception-filter';
export {
  EventPublisher,
  scopedMessageId,
  type PublishOptions,
  type PublishResult,
} from './event-publisher';
export {
  BatchingPublisher,
  batchMessageId,
  batchBodyBytes,
  type BatchingOptions,
  type BatchItemOptions,
  type BatchItem,
  type RoutedBatchItem,
} from './batching-publisher';
export { QueryClient, type QueryOptions } from './query-client';
export { errorReply, decodeReply, type QueryReply } from './query-reply';
export { parseTenantBatch, type ParsedTenantBatch } from './tenant-batch';
