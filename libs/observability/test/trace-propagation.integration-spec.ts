// Keep this import first: see support/telemetry-first.ts.
import { telemetry } from './support/telemetry-first';
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Controller,
  HttpCode,
  Inject,
  Injectable,
  Module,
  type OnModuleDestroy,
  type OnModuleInit,
  Post,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { connect, headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Pool } from 'pg';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  extractTraceContext,
  injectTraceContext,
  ObservabilityModule,
  withSpan,
  type FinishedSpan,
} from '../src';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const SUBJECT = `test.${randomUUID().slice(0, 8)}.cdp.test.thing.created.v1`;
const NATS = Symbol('nats');
const PG = Symbol('pg');

/** Service A: an HTTP endpoint that publishes an event with the trace context in its headers. */
@Controller()
class AController {
  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  @Post('a')
  @HttpCode(202)
  async create(): Promise<{ accepted: true }> {
    await withSpan(`${SUBJECT} publish`, SpanKind.PRODUCER, () => {
      const h = headers();
      injectTraceContext(h);
      this.nc.publish(SUBJECT, JSON.stringify({ id: 1 }), { headers: h });
    });
    return { accepted: true };
  }
}

/** Service B: a core-NATS consumer whose handler runs in a span continuing the publisher's trace. */
@Injectable()
class BConsumer implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;
  readonly handled: Promise<void>;
  private resolveHandled!: () => void;
  private rejectHandled!: (error: unknown) => void;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(PG) private readonly pool: Pool,
  ) {
    this.handled = new Promise((resolve, reject) => {
      this.resolveHandled = resolve;
      this.rejectHandled = reject;
    });
  }

  async onModuleInit(): Promise<void> {
    this.subscription = this.nc.subscribe(SUBJECT, {
      callback: (error, msg) => {
        if (error) return this.rejectHandled(error);
        const parent = extractTraceContext(msg.headers ?? headers());
        withSpan(
          `${msg.subject} process`,
          SpanKind.CONSUMER,
          async () => {
            await this.pool.query('SELECT 1');
          },
          { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject },
          parent,
        ).then(this.resolveHandled, this.rejectHandled);
      },
    });
    await this.nc.flush(); // the subscription exists on the server before A publishes
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}

void describe('one trace from HTTP through a NATS hop to a Postgres query', () => {
  let ncA: NatsConnection;
  let ncB: NatsConnection;
  let pool: Pool;
  let appA: NestFastifyApplication;
  let appB: NestFastifyApplication;
  let consumer: BConsumer;
  let baseA: string;

  before(async () => {
    ncA = await connect({ servers: NATS_URL, name: 'obs-test-a' });
    ncB = await connect({ servers: NATS_URL, name: 'obs-test-b' });
    pool = new Pool({ connectionString: DATABASE_URL, max: 2 });

    @Module({
      imports: [ObservabilityModule.forRoot()],
      controllers: [AController],
      providers: [{ provide: NATS, useValue: ncA }],
    })
    class ServiceAModule {}

    @Module({
      providers: [BConsumer, { provide: NATS, useValue: ncB }, { provide: PG, useValue: pool }],
    })
    class ServiceBModule {}

    appA = await NestFactory.create<NestFastifyApplication>(ServiceAModule, new FastifyAdapter(), {
      logger: false,
    });
    await appA.listen({ port: 0, host: '127.0.0.1' });
    baseA = await appA.getUrl();

    appB = await NestFactory.create<NestFastifyApplication>(ServiceBModule, new FastifyAdapter(), {
      logger: false,
    });
    await appB.init();
    consumer = appB.get(BConsumer);
  });

  after(async () => {
    await appA?.close();
    await appB?.close();
    await ncA?.close();
    await ncB?.close();
    await pool?.end();
    await telemetry.shutdown();
  });

  void it('links the HTTP server span of A, the consumer span of B and the pg span of B', async () => {
    const exporter = telemetry.memoryExporter!;
    exporter.reset();

    const response = await fetch(`${baseA}/a`, { method: 'POST' });
    assert.equal(response.status, 202);
    await consumer.handled;

    const spans = await eventually(() => {
      const finished = exporter.getFinishedSpans();
      const server = finished.find((s) => s.kind === SpanKind.SERVER && pathOf(s) === '/a');
      return server && finished.some((s) => s.name.startsWith('pg.query')) ? finished : undefined;
    });

    const server = spans.find((s) => s.kind === SpanKind.SERVER && pathOf(s) === '/a')!;
    const producer = spans.find(
      (s) => s.kind === SpanKind.PRODUCER && s.name === `${SUBJECT} publish`,
    )!;
    const consumerSpan = spans.find(
      (s) => s.kind === SpanKind.CONSUMER && s.name === `${SUBJECT} process`,
    )!;
    const query = spans.find((s) => s.kind === SpanKind.CLIENT && s.name.startsWith('pg.query'))!;
    assert.ok(producer, 'producer span');
    assert.ok(consumerSpan, 'consumer span');
    assert.ok(query, 'pg query span');

    const traceId = server.spanContext().traceId;
    for (const span of [producer, consumerSpan, query])
      assert.equal(span.spanContext().traceId, traceId, span.name);

    assert.equal(server.parentSpanContext, undefined, 'the HTTP request starts the trace');
    assert.equal(producer.parentSpanContext?.spanId, server.spanContext().spanId);
    assert.equal(consumerSpan.parentSpanContext?.spanId, producer.spanContext().spanId);
    assert.equal(
      consumerSpan.parentSpanContext?.isRemote,
      true,
      'the consumer continues a context from NATS headers',
    );
    assert.equal(query.parentSpanContext?.spanId, consumerSpan.spanContext().spanId);

    assert.equal(consumerSpan.attributes['messaging.destination.name'], SUBJECT);
    assert.equal(consumerSpan.status.code, SpanStatusCode.UNSET);
    assert.equal(server.resource.attributes['service.name'], 'observability-trace-test');
  });

  void it('does not trace probes and scrapes', async () => {
    const exporter = telemetry.memoryExporter!;
    exporter.reset();
    assert.equal((await fetch(`${baseA}/health/live`)).status, 200);
    assert.equal((await fetch(`${baseA}/metrics`)).status, 200);
    assert.equal((await fetch(`${baseA}/nope`, { method: 'POST' })).status, 404);

    await eventually(() =>
      exporter.getFinishedSpans().some((s) => pathOf(s) === '/nope') ? true : undefined,
    );
    const paths = exporter.getFinishedSpans().map(pathOf);
    assert.ok(!paths.includes('/health/live'));
    assert.ok(!paths.includes('/metrics'));
  });

  void it('records a failing handler as an error span and rethrows', async () => {
    const exporter = telemetry.memoryExporter!;
    exporter.reset();
    await assert.rejects(
      withSpan('failing', SpanKind.INTERNAL, () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.status.message, 'boom');
    assert.equal(span?.events[0]?.name, 'exception');
  });
});

function pathOf(span: FinishedSpan): string | undefined {
  const path = span.attributes['url.path'] ?? span.attributes['http.target'];
  return typeof path === 'string' ? path.split('?')[0] : undefined;
}

async function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
