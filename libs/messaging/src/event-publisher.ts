import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { HEADERS, streamForSubject } from '@cdp/contracts';
import { injectTraceContext, messagesPublished } from '@cdp/observability';
import type { Namespace } from './namespace';
import { headerCarrier, toMsgHdrs } from './headers';

export interface PublishOptions {
  /** Idempotency key of the message; JetStream dedups `<workspaceId>:<messageId>` in its window. */
  readonly messageId: string;
  readonly workspaceId: string;
  /** Contract name and version, e.g. `cdp.identity.v1.ProfileMerged`. */
  readonly schema: string;
  /** Extra headers (must not override the platform ones). */
  readonly headers?: Readonly<Record<string, string>>;
  /** PubAck timeout (default 5000 ms). */
  readonly timeoutMs?: number;
}

export interface PublishResult {
  /** Stream name without namespace. */
  readonly stream: string;
  readonly seq: number;
  /** True when JetStream already stored the same `Nats-Msg-Id` within its window. */
  readonly duplicate: boolean;
}

/** Scopes a message id by workspace: one tenant's ids never suppress another's. */
export function scopedMessageId(workspaceId: string, messageId: string): string {
  return `${workspaceId}:${messageId}`;
}

/**
 * Publishes JSON events to JetStream and waits for the PubAck (the message is stored when the
 * promise resolves). Sets `Nats-Msg-Id`, `cdp-workspace`, `cdp-schema`, `content-type` and the
 * W3C trace context of the active span.
 */
export class EventPublisher {
  private readonly js: JetStreamClient;

  constructor(
    connection: NatsConnection,
    private readonly namespace: Namespace,
  ) {
    this.js = jetstream(connection);
  }

  async publish(
    subject: string,
    payload: unknown,
    options: PublishOptions,
  ): Promise<PublishResult> {
    return this.publishRaw(subject, new TextEncoder().encode(JSON.stringify(payload)), options);
  }

  /** Same as `publish` with an already-encoded JSON body. */
  async publishRaw(
    subject: string,
    body: Uint8Array,
    options: PublishOptions,
  ): Promise<PublishResult> {
    const h = toMsgHdrs(Object.entries(options.headers ?? {}));
    h.set(HEADERS.workspace, options.workspaceId);
    h.set(HEADERS.schema, options.schema);
    h.set(HEADERS.contentType, 'application/json');
    injectTraceContext(headerCarrier(h));
    try {
      const ack = await this.js.publish(this.namespace.subject(subject), body, {
        msgID: scopedMessageId(options.workspaceId, options.messageId),
        headers: h,
        timeout: options.timeoutMs ?? 5000,
      });
      const stream = this.namespace.stripStream(ack.stream);
      messagesPublished.inc({ stream, outcome: ack.duplicate ? 'duplicate' : 'stored' });
      return { stream, seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      messagesPublished.inc({
        stream: streamForSubject(subject)?.name ?? 'none',
        outcome: 'failed',
      });
      throw error;
    }
  }
}
