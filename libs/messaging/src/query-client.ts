import type { NatsConnection } from '@nats-io/nats-core';
import { DomainError, HEADERS } from '@cdp/contracts';
import { injectTraceContext } from '@cdp/observability';
import type { Namespace } from './namespace';
import { headerCarrier, toMsgHdrs } from './headers';
import { decodeReply } from './query-reply';

export interface QueryOptions {
  readonly workspaceId?: string;
  /** Default 2000 ms. */
  readonly timeoutMs?: number;
}

/**
 * Request/reply over core NATS (no stream). Answers `{ok:true,data}` resolve to `data`;
 * `{ok:false,error}` answers are rethrown as the DomainError they describe; a timeout or no
 * responder becomes `DomainError('unavailable', 'messaging.query_unavailable')`.
 */
export class QueryClient {
  constructor(
    private readonly connection: NatsConnection,
    private readonly namespace: Namespace,
  ) {}

  async request<T>(subject: string, payload: unknown, options: QueryOptions = {}): Promise<T> {
    const h = toMsgHdrs([[HEADERS.contentType, 'application/json']]);
    if (options.workspaceId) h.set(HEADERS.workspace, options.workspaceId);
    injectTraceContext(headerCarrier(h));
    let body: string;
    try {
      const reply = await this.connection.request(
        this.namespace.subject(subject),
        JSON.stringify(payload ?? null),
        {
          timeout: options.timeoutMs ?? 2000,
          headers: h,
        },
      );
      body = reply.string();
    } catch (error) {
      const noResponders = error instanceof Error && /no responders/i.test(error.message);
      throw new DomainError(
        'unavailable',
        'messaging.query_unavailable',
        `${subject}: ${noResponders ? 'no responders' : error instanceof Error ? error.message : 'request failed'}`,
        undefined,
        1,
      );
    }
    return decodeReply<T>(body, subject);
  }
}
