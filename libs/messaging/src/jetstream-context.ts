import { BaseRpcContext } from '@nestjs/microservices';

export interface JetStreamMessageInfo {
  /** Subject without namespace. */
  readonly subject: string;
  /** First value of each header. */
  readonly headers: Readonly<Record<string, string>>;
  /** From `cdp-workspace`. */
  readonly workspaceId: string | undefined;
  /** The publisher's message id (`Nats-Msg-Id` without its `<workspace>:` scope prefix). */
  readonly messageId: string | undefined;
  /** 1 on first delivery. */
  readonly deliveryCount: number;
  /** Stream sequence of the message (stable across redeliveries). */
  readonly streamSequence: number;
  /** Stream name without namespace. */
  readonly stream: string;
  /** Durable consumer name. */
  readonly consumer: string;
  /** Extends the ack deadline (the transport already does so periodically). */
  readonly working: () => void;
}

/**
 * Second argument of an `@EventPattern` handler (`@Ctx() ctx: JetStreamContext`): where the
 * message came from and how many times it was delivered.
 */
export class JetStreamContext extends BaseRpcContext<[JetStreamMessageInfo]> {
  constructor(private readonly info: JetStreamMessageInfo) {
    super([info]);
  }
  get subject(): string {
    return this.info.subject;
  }
  get headers(): Readonly<Record<string, string>> {
    return this.info.headers;
  }
  get workspaceId(): string | undefined {
    return this.info.workspaceId;
  }
  get messageId(): string | undefined {
    return this.info.messageId;
  }
  get deliveryCount(): number {
    return this.info.deliveryCount;
  }
  get streamSequence(): number {
    return this.info.streamSequence;
  }
  get stream(): string {
    return this.info.stream;
  }
  get consumer(): string {
    return this.info.consumer;
  }
  getSubject(): string {
    return this.info.subject;
  }
  getHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [k, v] of Object.entries(this.info.headers)) if (k.toLowerCase() === lower) return v;
    return undefined;
  }
  /** Tell JetStream the handler is alive (resets ack_wait). */
  working(): void {
    this.info.working();
  }
}

/** Second argument of a `@MessagePattern` (request/reply) handler. */
export class QueryContext extends BaseRpcContext<
  [{ subject: string; headers: Readonly<Record<string, string>> }]
> {
  constructor(
    readonly subject: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly workspaceId: string | undefined,
  ) {
    super([{ subject, headers }]);
  }
  getSubject(): string {
    return this.subject;
  }
}
