// Two minimal services for the cross-service trace test, wired exactly like production ones:
// A is an HTTP app that publishes with `EventPublisher`, B is a JetStream microservice whose
// `@EventPattern` handler queries Postgres.
import { randomUUID } from 'node:crypto';
import {
  Body,
  Controller,
  type DynamicModule,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
} from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { trace, type SpanContext } from '@opentelemetry/api';
import { Pool } from 'pg';
import { SUBJECTS } from '@cdp/contracts';
import { EventPublisher, JetStreamContext, type PublishResult } from '@cdp/messaging';

export const WORKSPACE = 'ws1';
export const MERGED_SUBJECT = `${SUBJECTS.profileMerged}.${WORKSPACE}`;
export const MERGED_PATTERN = 'cdp.identity.profile.merged.v1.*';
export const DURABLE = 'trace-test';

// ---------------------------------------------------------------------------------- service A

export interface MergeAccepted extends PublishResult {
  readonly messageId: string;
}

@Controller()
export class MergeController {
  constructor(private readonly publisher: EventPublisher) {}

  @Post('a')
  @HttpCode(202)
  async merge(@Body() body: Record<string, unknown>): Promise<MergeAccepted> {
    const messageId = randomUUID();
    const result = await this.publisher.publish(MERGED_SUBJECT, body, {
      messageId,
      workspaceId: WORKSPACE,
      schema: 'test',
    });
    return { messageId, ...result };
  }
}

@Module({})
export class ServiceAModule {
  static register(publisher: EventPublisher): DynamicModule {
    return {
      module: ServiceAModule,
      controllers: [MergeController],
      providers: [{ provide: EventPublisher, useValue: publisher }],
    };
  }
}

// ---------------------------------------------------------------------------------- service B

export const PG_POOL = Symbol('pg-pool');

/** What B's handler saw, for the test to compare with the exported spans. */
export interface HandledMerge {
  readonly messageId: string | undefined;
  readonly subject: string;
  readonly payload: unknown;
  /** `traceparent` header of the JetStream message as the handler received it. */
  readonly traceparent: string | undefined;
  /** The span active while the handler ran (the transport's consumer span). */
  readonly activeSpan: SpanContext | undefined;
  readonly rowCount: number | null;
}

@Injectable()
export class HandledMerges {
  private readonly handled = new Map<string, HandledMerge>();
  private readonly waiters = new Map<string, (merge: HandledMerge) => void>();

  record(merge: HandledMerge): void {
    const key = merge.messageId ?? '';
    this.handled.set(key, merge);
    this.waiters.get(key)?.(merge);
  }

  /** Resolves once the handler finished the message `messageId`. */
  waitFor(messageId: string, timeoutMs = 10_000): Promise<HandledMerge> {
    const done = this.handled.get(messageId);
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(messageId);
        reject(new Error(`B did not handle message ${messageId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(messageId, (merge) => {
        clearTimeout(timer);
        this.waiters.delete(messageId);
        resolve(merge);
      });
    });
  }
}

@Controller()
export class MergesConsumer {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    private readonly handled: HandledMerges,
  ) {}

  @EventPattern(MERGED_PATTERN, { durable: DURABLE })
  async onMerged(@Payload() payload: unknown, @Ctx() ctx: JetStreamContext): Promise<void> {
    const activeSpan = trace.getActiveSpan()?.spanContext();
    const result = await this.pool.query('SELECT 1');
    this.handled.record({
      messageId: ctx.messageId,
      subject: ctx.subject,
      payload,
      traceparent: ctx.getHeader('traceparent'),
      activeSpan,
      rowCount: result.rowCount,
    });
  }
}

@Module({})
export class ServiceBModule {
  static register(pool: Pool): DynamicModule {
    return {
      module: ServiceBModule,
      controllers: [MergesConsumer],
      providers: [HandledMerges, { provide: PG_POOL, useValue: pool }],
    };
  }
}
