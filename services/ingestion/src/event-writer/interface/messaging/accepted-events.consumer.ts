import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { SUBJECTS } from '@cdp/contracts';
import { JetStreamContext, NonRetryableError } from '@cdp/messaging';
import { EventWriterService } from '../../application/event-writer.service';
import { EventsRefusedError } from '../../application/events-refused.error';
import { WRITER_CONSUMER } from '../../application/writer-consumer.options';
import { parseAcceptedEventBatch } from './accepted-event-batch.schema';

/**
 * Consumes accepted-event micro-batches and writes them to ClickHouse. Acked (by the transport)
 * only after the rows are durable. Idempotent: a redelivered batch finds its messageIds claimed
 * and committed by the first delivery and writes nothing (docs/adr/0007-event-dedup.md).
 */
@Controller()
export class AcceptedEventsConsumer {
  constructor(private readonly writer: EventWriterService) {}

  @EventPattern(`${SUBJECTS.eventAccepted}.>`, { ...WRITER_CONSUMER })
  async onAccepted(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const batch = parseAcceptedEventBatch(payload, ctx.workspaceId);
    if (!batch.ok) throw new NonRetryableError(batch.reason); // → dead letter
    let write: Promise<void>;
    try {
      write = this.writer.write(batch.items);
    } catch (error) {
      // A timestamp ClickHouse cannot store: redelivery cannot fix it.
      if (error instanceof RangeError) throw new NonRetryableError(error.message, { cause: error });
      throw error;
    }
    try {
      await write;
    } catch (error) {
      // Events ClickHouse refuses even alone (the batch's other events are stored): dead-letter,
      // with ClickHouse's reason in the message and as the cause.
      if (error instanceof EventsRefusedError)
        throw new NonRetryableError(error.message, { cause: error.cause });
      throw error;
    }
  }
}
