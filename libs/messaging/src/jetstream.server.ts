import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import {
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { isObservable, lastValueFrom } from 'rxjs';
import { HEADERS, STREAMS, streamForSubject, type StreamSpec } from '@cdp/contracts';
import {
  consumerLag,
  createLogger,
  extractTraceContext,
  messageHandlerDuration,
  messagesConsumed,
  type Logger,
} from '@cdp/observability';
import { computeBackoffMs, type BackoffPolicy } from './backoff';
import { buildDeadLetterHeaders, deadLetterMsgId, deadLetterSubject } from './dead-letter';
import { describeError, isRetryable } from './errors';
import { header, headerCarrier, headersToRecord, toMsgHdrs } from './headers';
import { JetStreamContext, QueryContext } from './jetstream-context';
import type { Namespace } from './namespace';
import { errorReply } from './query-reply';
import { ensureConsumer, ensureStreams, type StreamOverrides } from './streams';
import { isValidSubject, subjectCovers } from './subject-match';

/** Per-handler options, given as `@EventPattern(pattern, { durable, ... })` extras. */
export interface EventHandlerOptions {
  /** Durable consumer name (required): one name per handler, shared by every pod. */
  readonly durable: string;
  /** Deliveries before the message is dead-lettered. */
  readonly maxDeliver?: number;
  /** Handler calls in flight at once in this process. */
  readonly concurrency?: number;
  /** Messages per pull (never more than free concurrency slots). */
  readonly batchSize?: number;
  /** Base of the exponential redelivery delay. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly ackWaitMs?: number;
  readonly maxAckPending?: number;
}

/** `@MessagePattern(subject, { queue })` extras. */
export interface QueryHandlerOptions {
  /** Queue group (default: the subject): pods in one group share requests. */
  readonly queue?: string;
}

export interface ConsumerDefaults {
  readonly concurrency: number;
  readonly batchSize: number;
  readonly maxDeliver: number;
  readonly ackWaitMs: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_CONSUMER: ConsumerDefaults = {
  concurrency: 16,
  batchSize: 16,
  maxDeliver: 5,
  ackWaitMs: 30_000,
  backoffMs: 500,
  maxBackoffMs: 30_000,
};

export interface JetStreamServerOptions {
  /** Owned by the server from `listen` on: `close()` drains it. */
  readonly connection: NatsConnection;
  readonly namespace: Namespace;
  readonly defaults?: Partial<ConsumerDefaults>;
  /** Stream settings (replicas, max age, dedup window) applied by `ensureStreams` at listen. */
  readonly streams?: StreamOverrides;
  /** How long `close()` waits for in-flight handlers (default 10 s). */
  readonly shutdownTimeoutMs?: number;
  /** Consumer lag (num_pending) polling period (default 5 s; 0 disables). */
  readonly lagPollMs?: number;
  /** Pull expiry (default 2 s). */
  readonly fetchExpiresMs?: number;
  /** Wait for the server to confirm every ack (default true). */
  readonly confirmAcks?: boolean;
  /** Drain and close the connection in `close()` (default true). */
  readonly drainConnection?: boolean;
}

type Outcome = 'ack' | 'retry' | 'dead_letter';

/** Parses `@EventPattern` extras into handler options (throws on a missing/invalid durable). */
export function parseEventHandlerOptions(
  pattern: string,
  extras: Readonly<Record<string, unknown>> | undefined,
): EventHandlerOptions {
  const e = extras ?? {};
  const durable = e.durable;
  if (typeof durable !== 'string' || !/^[A-Za-z0-9_-]+$/.test(durable)) {
    throw new Error(
      `@EventPattern('${pattern}') needs a durable name in its extras, e.g. { durable: 'profile-merges' }`,
    );
  }
  const num = (key: string): number | undefined => {
    const v = e[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new Error(`@EventPattern('${pattern}'): ${key} must be a positive number`);
    return v;
  };
  return {
    durable,
    maxDeliver: num('maxDeliver'),
    concurrency: num('concurrency'),
    batchSize: num('batchSize'),
    backoffMs: num('backoffMs'),
    maxBackoffMs: num('maxBackoffMs'),
    ackWaitMs: num('ackWaitMs'),
    maxAckPending: num('maxAckPending'),
  };
}

interface ResolvedHandler {
  readonly pattern: string;
  readonly stream: StreamSpec;
  readonly options: Required<Omit<EventHandlerOptions, 'maxAckPending'>> & {
    maxAckPending?: number;
  };
  readonly handler: MessageHandler;
}

function delay(ms: number, signal: { wake?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.wake = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

async function settle(result: unknown): Promise<unknown> {
  const value: unknown = await result;
  return isObservable(value) ? lastValueFrom(value, { defaultValue: undefined }) : value;
}

/** One durable pull consumer feeding one handler, with bounded concurrency. */
class ConsumerWorker {
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  /** Set when shutdown gave up waiting: late completions must not ack on a closing connection. */
  private abandoned = false;
  private currentFetch: ConsumerMessages | undefined;
  private readonly wakeUp: { wake?: () => void } = {};
  private loop: Promise<void> | undefined;
  private lagTimer: NodeJS.Timeout | undefined;
  private readonly backoff: BackoffPolicy;
  private readonly tracer = trace.getTracer('cdp-messaging');

  constructor(
    private readonly spec: ResolvedHandler,
    private readonly consumer: Consumer,
    private readonly js: JetStreamClient,
    private readonly namespace: Namespace,
    private readonly settings: { fetchExpiresMs: number; lagPollMs: number; confirmAcks: boolean },
    private readonly log: Logger,
  ) {
    this.backoff = {
      baseMs: spec.options.backoffMs,
      maxMs: spec.options.maxBackoffMs,
      factor: 2,
      jitter: 0.2,
    };
  }

  start(): void {
    this.loop = this.run();
    if (this.settings.lagPollMs > 0) {
      this.lagTimer = setInterval(() => void this.pollLag(), this.settings.lagPollMs);
      this.lagTimer.unref();
      void this.pollLag();
    }
  }

  /** Stops pulling; resolves when in-flight handlers finished or the timeout passed. */
  async stop(timeoutMs: number): Promise<{ unfinished: number }> {
    this.stopping = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    this.currentFetch?.stop();
    this.wakeUp.wake?.();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const finished = (async () => {
      await this.loop;
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    const result = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.abandoned = true;
      return { unfinished: this.inFlight.size };
    }
    return { unfinished: 0 };
  }

  private async run(): Promise<void> {
    const { concurrency, batchSize } = this.spec.options;
    while (!this.stopping) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => {
          this.wakeUp.wake = resolve;
        });
        continue;
      }
      try {
        const messages = await this.consumer.fetch({
          max_messages: Math.min(batchSize, free),
          expires: this.settings.fetchExpiresMs,
        });
        this.currentFetch = messages;
        if (this.stopping) messages.stop();
        for await (const m of messages) this.dispatch(m);
      } catch (error) {
        if (this.stopping) break;
        this.log.warn(
          { err: error, consumer: this.spec.options.durable },
          'fetch failed; retrying',
        );
        await delay(1000, this.wakeUp);
      } finally {
        this.currentFetch = undefined;
      }
    }
  }

  private dispatch(m: JsMsg): void {
    const done: Promise<void> = this.handle(m)
      .catch((error: unknown) => this.log.error({ err: error }, 'message handling crashed'))
      .finally(() => {
        this.inFlight.delete(done);
        this.wakeUp.wake?.();
      });
    this.inFlight.add(done);
  }

  private async handle(m: JsMsg): Promise<void> {
    const { durable } = this.spec.options;
    const started = performance.now();
    const subject = this.namespace.stripSubject(m.subject);
    const parent = extractTraceContext(headerCarrier(m.headers));
    const heartbeat = setInterval(
      () => m.working(),
      Math.max(250, Math.floor(this.spec.options.ackWaitMs / 3)),
    );
    try {
      const outcome = await this.tracer.startActiveSpan(
        `${this.spec.pattern} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'nats',
            'messaging.operation.type': 'process',
            'messaging.destination.name': subject,
            'messaging.consumer.group.name': durable,
            'messaging.message.id': header(m.headers, HEADERS.messageId) ?? '',
            'messaging.nats.delivery_count': m.info.deliveryCount,
            'messaging.nats.stream_sequence': m.seq,
          },
        },
        parent,
        (span) => this.process(m, subject, span),
      );
      if (outcome === undefined) return;
      messagesConsumed.inc({ consumer: durable, outcome });
      messageHandlerDuration.observe(
        { consumer: durable, outcome },
        (performance.now() - started) / 1000,
      );
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Runs the handler and settles the message; `undefined` = abandoned at shutdown (not acked). */
  private async process(m: JsMsg, subject: string, span: Span): Promise<Outcome | undefined> {
    try {
      let payload: unknown;
      try {
        payload = JSON.parse(new TextDecoder().decode(m.data));
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'invalid JSON' });
        return await this.deadLetter(m, subject, `invalid JSON payload: ${describeError(error)}`);
      }
      try {
        await settle(this.spec.handler(payload, this.contextOf(m, subject)));
      } catch (error) {
        span.recordException(error instanceof Error ? error : new Error(describeError(error)));
        span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
        if (this.abandoned) return undefined;
        const deliveries = m.info.deliveryCount;
        if (!isRetryable(error) || deliveries >= this.spec.options.maxDeliver) {
          return await this.deadLetter(m, subject, describeError(error));
        }
        const wait = computeBackoffMs(deliveries, this.backoff);
        this.log.warn(
          { err: error, consumer: this.spec.options.durable, subject, deliveries, retryInMs: wait },
          'handler failed; will retry',
        );
        m.nak(wait);
        return 'retry';
      }
      if (this.abandoned) return undefined;
      await this.ack(m);
      return 'ack';
    } finally {
      span.end();
    }
  }

  private async ack(m: JsMsg): Promise<void> {
    if (!this.settings.confirmAcks) {
      m.ack();
      return;
    }
    try {
      await m.ackAck({ timeout: 5000 });
    } catch (error) {
      // Unconfirmed ack: JetStream may redeliver (at-least-once; handlers are idempotent).
      this.log.warn(
        { err: error, consumer: this.spec.options.durable, seq: m.seq },
        'ack not confirmed',
      );
    }
  }

  private async deadLetter(m: JsMsg, subject: string, error: string): Promise<Outcome> {
    const { durable } = this.spec.options;
    const cause = {
      error,
      deliveries: m.info.deliveryCount,
      subject,
      stream: this.namespace.stripStream(m.info.stream),
      sequence: m.seq,
      consumer: durable,
    };
    try {
      await this.js.publish(this.namespace.subject(deadLetterSubject(durable)), m.data, {
        headers: toMsgHdrs(buildDeadLetterHeaders(m.headers ?? [], cause)),
        msgID: deadLetterMsgId(cause),
      });
    } catch (publishError) {
      // Never drop a message we could not park: retry it later instead.
      this.log.error(
        { err: publishError, consumer: durable, seq: m.seq },
        'dead-letter publish failed; will retry',
      );
      m.nak(computeBackoffMs(m.info.deliveryCount, this.backoff));
      return 'retry';
    }
    this.log.error(
      { consumer: durable, subject, seq: m.seq, deliveries: cause.deliveries, error },
      'message dead-lettered',
    );
    m.term();
    return 'dead_letter';
  }

  private contextOf(m: JsMsg, subject: string): JetStreamContext {
    const workspaceId = header(m.headers, HEADERS.workspace);
    const rawId = header(m.headers, HEADERS.messageId);
    const messageId =
      rawId !== undefined && workspaceId !== undefined && rawId.startsWith(`${workspaceId}:`)
        ? rawId.slice(workspaceId.length + 1)
        : rawId;
    return new JetStreamContext({
      subject,
      headers: headersToRecord(m.headers),
      workspaceId,
      messageId,
      deliveryCount: m.info.deliveryCount,
      streamSequence: m.seq,
      stream: this.namespace.stripStream(m.info.stream),
      consumer: this.spec.options.durable,
      working: () => m.working(),
    });
  }

  private async pollLag(): Promise<void> {
    try {
      const info = await this.consumer.info();
      consumerLag.set(
        { stream: this.spec.stream.name, consumer: this.spec.options.durable },
        info.num_pending,
      );
    } catch {
      // transient: next poll
    }
  }
}

/**
 * Nest transport over NATS JetStream (`NestFactory.createMicroservice(M, { strategy })`).
 *
 * - `@EventPattern(subject, { durable, ... })`: a durable pull consumer per handler on the
 *   stream that owns the subject; ack after the handler resolved, `nak` with exponential backoff
 *   when it throws, dead-letter + `term` for poison messages (invalid JSON, non-retryable
 *   errors) or once `maxDeliver` is reached.
 * - `@MessagePattern(subject)`: core NATS queue subscription answering `{ok, data|error}`.
 */
export class JetStreamServer extends Server implements CustomTransportStrategy {
  private readonly log = createLogger('jetstream-server');
  private readonly workers: ConsumerWorker[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly queriesInFlight = new Set<Promise<void>>();
  private readonly listeners = new Map<string, Array<(...args: unknown[]) => void>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: JetStreamServerOptions) {
    super();
  }

  listen(callback: (...optionalParams: unknown[]) => unknown): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Starts consumers and query subscriptions (what `listen` does), as a promise. */
  async start(): Promise<void> {
    const { connection, namespace } = this.options;
    const defaults = { ...DEFAULT_CONSUMER, ...this.options.defaults };
    const events: ResolvedHandler[] = [];
    const queries: Array<{ pattern: string; handler: MessageHandler; queue: string }> = [];
    for (const [pattern, handler] of this.messageHandlers) {
      if (!isValidSubject(pattern)) throw new Error(`invalid subject pattern "${pattern}"`);
      const extras = handler.extras as Readonly<Record<string, unknown>> | undefined;
      if (!handler.isEventHandler) {
        const queue = typeof extras?.queue === 'string' ? extras.queue : pattern;
        queries.push({ pattern, handler, queue });
        continue;
      }
      const stream = streamForSubject(pattern);
      if (!stream || !stream.subjects.some((s) => subjectCovers(s, pattern))) {
        throw new Error(`no stream captures "${pattern}" (see STREAMS in @cdp/contracts)`);
      }
      const o = parseEventHandlerOptions(pattern, extras);
      events.push({
        pattern,
        stream,
        handler,
        options: {
          durable: o.durable,
          maxDeliver: o.maxDeliver ?? defaults.maxDeliver,
          concurrency: o.concurrency ?? defaults.concurrency,
          batchSize: o.batchSize ?? defaults.batchSize,
          backoffMs: o.backoffMs ?? defaults.backoffMs,
          maxBackoffMs: o.maxBackoffMs ?? defaults.maxBackoffMs,
          ackWaitMs: o.ackWaitMs ?? defaults.ackWaitMs,
          maxAckPending: o.maxAckPending,
        },
      });
    }
    const seen = new Set<string>();
    for (const e of events) {
      const key = `${e.stream.name}/${e.options.durable}`;
      if (seen.has(key))
        throw new Error(
          `durable "${e.options.durable}" is used by two handlers on stream ${e.stream.name}`,
        );
      seen.add(key);
    }

    if (events.length > 0) {
      const jsm = await jetstreamManager(connection);
      const specs = new Map<string, StreamSpec>(events.map((e) => [e.stream.name, e.stream]));
      specs.set(STREAMS.deadletter.name, STREAMS.deadletter);
      await ensureStreams(jsm, namespace, [...specs.values()], this.options.streams);
      const js = jetstream(connection);
      for (const e of events) {
        const stream = namespace.stream(e.stream.name);
        await ensureConsumer(jsm, stream, {
          durable: e.options.durable,
          filterSubject: namespace.subject(e.pattern),
          maxDeliver: e.options.maxDeliver,
          ackWaitMs: e.options.ackWaitMs,
          maxAckPending: e.options.maxAckPending,
        });
        const consumer = await js.consumers.get(stream, e.options.durable);
        this.workers.push(
          new ConsumerWorker(
            e,
            consumer,
            js,
            namespace,
            {
              fetchExpiresMs: this.options.fetchExpiresMs ?? 2000,
              lagPollMs: this.options.lagPollMs ?? 5000,
              confirmAcks: this.options.confirmAcks ?? true,
            },
            this.log,
          ),
        );
      }
    }
    for (const q of queries) {
      this.subscriptions.push(
        connection.subscribe(namespace.subject(q.pattern), {
          queue: q.queue,
          callback: (error, msg) => {
            if (error) {
              this.log.error({ err: error, subject: q.pattern }, 'query subscription failed');
              this.emit('error', error);
              return;
            }
            const done: Promise<void> = this.answer(q.pattern, q.handler, msg).finally(() =>
              this.queriesInFlight.delete(done),
            );
            this.queriesInFlight.add(done);
          },
        }),
      );
    }
    for (const w of this.workers) w.start();
    this.log.info(
      { consumers: events.map((e) => e.options.durable), queries: queries.map((q) => q.pattern) },
      'jetstream transport listening',
    );
  }

  private async answer(pattern: string, handler: MessageHandler, msg: Msg): Promise<void> {
    const { namespace } = this.options;
    const subject = namespace.stripSubject(msg.subject);
    const parent = extractTraceContext(headerCarrier(msg.headers));
    const reply = await this.tracer().startActiveSpan(
      `${pattern} process`,
      {
        kind: SpanKind.SERVER,
        attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject },
      },
      parent,
      async (span) => {
        try {
          let payload: unknown;
          try {
            payload = JSON.parse(msg.string() || 'null');
          } catch {
            return {
              ok: false,
              error: {
                code: 'messaging.invalid_json',
                message: 'request body is not JSON',
                kind: 'invalid',
              },
            };
          }
          const ctx = new QueryContext(
            subject,
            headersToRecord(msg.headers),
            header(msg.headers, HEADERS.workspace),
          );
          const data = await settle(handler(payload, ctx));
          return { ok: true, data: data ?? null };
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
          return errorReply(error);
        } finally {
          span.end();
        }
      },
    );
    if (!msg.reply) return;
    try {
      msg.respond(JSON.stringify(reply));
    } catch (error) {
      this.log.warn({ err: error, subject }, 'could not send query reply');
    }
  }

  private tracer(): ReturnType<typeof trace.getTracer> {
    return trace.getTracer('cdp-messaging');
  }

  /**
   * Graceful shutdown: stop pulling, let in-flight handlers finish (up to shutdownTimeoutMs) and
   * ack them, stop answering queries, then drain the connection. Unfinished messages are not
   * acked: JetStream redelivers them after ack_wait.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const timeoutMs = this.options.shutdownTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    for (const sub of this.subscriptions) sub.unsubscribe();
    const results = await Promise.all(this.workers.map((w) => w.stop(timeoutMs)));
    const unfinished = results.reduce((n, r) => n + r.unfinished, 0);
    if (unfinished > 0)
      this.log.warn(
        { unfinished },
        'shutdown timeout: unfinished messages left unacked for redelivery',
      );
    const left = Math.max(0, deadline - Date.now());
    await Promise.race([
      Promise.allSettled([...this.queriesInFlight]),
      new Promise((r) => setTimeout(r, left).unref()),
    ]);
    const nc = this.options.connection;
    if ((this.options.drainConnection ?? true) && !nc.isClosed() && !nc.isDraining()) {
      try {
        await nc.drain();
      } catch (error) {
        this.log.warn({ err: error }, 'connection drain failed');
      }
    }
    this.log.info('jetstream transport closed');
  }

  /** Subscribes to transport events (`error`: a query subscription failed). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- signature imposed by Nest's Server
  on<EventKey extends string = string, EventCallback extends Function = Function>(
    event: EventKey,
    callback: EventCallback,
  ): void {
    const list = this.listeners.get(event) ?? [];
    list.push((...args: unknown[]) => void Reflect.apply(callback, undefined, args));
    this.listeners.set(event, list);
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const cb of this.listeners.get(event) ?? []) cb(...args);
  }

  unwrap<T>(): T {
    return this.options.connection as T;
  }
}
