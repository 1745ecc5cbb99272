import { HEADERS, SUBJECTS } from '@cdp/contracts';

/** Header of a dead-lettered copy that keeps the original `Nats-Msg-Id`. */
export const DLQ_ORIGINAL_MSG_ID_HEADER = 'cdp-dlq-msg-id';

export interface DeadLetterCause {
  readonly error: string;
  readonly deliveries: number;
  /** Original subject without namespace. */
  readonly subject: string;
  /** Original stream without namespace. */
  readonly stream: string;
  readonly sequence: number;
  /** Durable name of the consumer that gave up. */
  readonly consumer: string;
}

/** Subject (without namespace) a consumer dead-letters to: `cdp.deadletter.message.failed.v1.<durable>`. */
export function deadLetterSubject(durable: string): string {
  return `${SUBJECTS.deadLetter}.${durable}`;
}

/** Dedup id of the copy, so a crash between publishing the copy and `term` does not duplicate it. */
export function deadLetterMsgId(
  cause: Pick<DeadLetterCause, 'stream' | 'consumer' | 'sequence'>,
): string {
  return `dlq:${cause.stream}:${cause.consumer}:${cause.sequence}`;
}

/** NATS headers are single-line: control characters would corrupt the frame. */
function headerValue(value: string, max = 1024): string {
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\r\n\u0000-\u001f]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * Headers of a dead-lettered copy: the original headers (except NATS control headers such as
 * `Nats-Msg-Id`, kept as `cdp-dlq-msg-id`) plus the `cdp-dlq-*` cause headers.
 */
export function buildDeadLetterHeaders(
  original: Iterable<readonly [string, readonly string[]]>,
  cause: DeadLetterCause,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const causeKeys = new Set<string>([
    HEADERS.deadLetterError,
    HEADERS.deadLetterDeliveries,
    HEADERS.deadLetterSubject,
    HEADERS.deadLetterStream,
    HEADERS.deadLetterSequence,
    HEADERS.deadLetterConsumer,
    DLQ_ORIGINAL_MSG_ID_HEADER,
  ]);
  for (const [key, values] of original) {
    const lower = key.toLowerCase();
    if (causeKeys.has(lower)) continue;
    if (lower === HEADERS.messageId.toLowerCase()) {
      for (const v of values) out.push([DLQ_ORIGINAL_MSG_ID_HEADER, v]);
      continue;
    }
    if (lower.startsWith('nats-')) continue;
    for (const v of values) out.push([key, v]);
  }
  out.push(
    [HEADERS.deadLetterError, headerValue(cause.error) || 'unknown error'],
    [HEADERS.deadLetterDeliveries, String(cause.deliveries)],
    [HEADERS.deadLetterSubject, cause.subject],
    [HEADERS.deadLetterStream, cause.stream],
    [HEADERS.deadLetterSequence, String(cause.sequence)],
    [HEADERS.deadLetterConsumer, cause.consumer],
  );
  return out;
}
