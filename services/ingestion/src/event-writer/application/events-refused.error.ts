import { DomainError } from '@cdp/contracts';

const MAX_IDS_IN_MESSAGE = 5;
const MAX_REASON_CHARS = 500;

/**
 * Some events of a consumed batch were refused by the store even when inserted alone: redelivery
 * cannot help, so the batch is dead-lettered (its other events are stored). `cause` is the
 * store's error, and the message carries its text so the dead-letter copy says why.
 */
export class EventsRefusedError extends DomainError {
  constructor(
    readonly messageIds: readonly string[],
    override readonly cause: Error,
  ) {
    const shown = messageIds.slice(0, MAX_IDS_IN_MESSAGE).join(', ');
    const more =
      messageIds.length > MAX_IDS_IN_MESSAGE
        ? ` and ${messageIds.length - MAX_IDS_IN_MESSAGE} more`
        : '';
    super(
      'invalid',
      'event_writer.events_refused',
      `ClickHouse refused ${messageIds.length} event(s) of this batch (messageId ${shown}${more}): ${cause.message.slice(0, MAX_REASON_CHARS)}`,
      { messageIds },
    );
    this.name = 'EventsRefusedError';
  }
}
