// Keep this import first: see support/telemetry-first.ts.
import { telemetry } from './support/telemetry-first';
import 'reflect-metadata';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Pool } from 'pg';
import { STREAMS } from '@cdp/contracts';
import {
  connectNats,
  ensureStreams,
  EventPublisher,
  JetStreamExceptionFilter,
  JetStreamServer,
  Namespace,
} from '@cdp/messaging';
import type { FinishedSpan } from '@cdp/observability';
import { deleteNamespaceStreams, TEST_NATS_URL, uniqueName } from '@cdp/testing';
import {
  ancestorsOf,
  describeSpans,
  eventually,
  findServerSpan,
  statementOf,
} from './support/spans';
import {
  DURABLE,
  HandledMerges,
  MERGED_PATTERN,
  MERGED_SUBJECT,
  type MergeAccepted,
  ServiceAModule,
  ServiceBModule,
  WORKSPACE,
} from './support/trace-services';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
const ns = uniqueName('trace');
const namespace = Namespace.of(ns);

void describe('one trace from HTTP (service A) through JetStream to a consumer and Postgres (service B)', () => {
  let ncA: NatsConnection | undefined;
  let pool: Pool | undefined;
  let appA: NestFastifyApplication | undefined;
  let appB: INestMicroservice | undefined;
  let baseA: string;
  let handled: HandledMerges;

  before(async () => {
    // Streams first (what a deploy's bootstrap does), so A can publish whatever B's state.
    ncA = await connectNats({ url: TEST_NATS_URL, name: 'trace-test-a' });
    await ensureStreams(await jetstreamManager(ncA), namespace, [
      STREAMS.identity,
      STREAMS.deadletter,
    ]);
    pool = new Pool({ connectionString: DATABASE_URL, max: 2 });

    // Service B: a JetStream microservice (the server owns and drains its connection).
    const strategy = new JetStreamServer({
      connection: await connectNats({ url: TEST_NATS_URL, name: 'trace-test-b' }),
      namespace,
      lagPollMs: 0,
      fetchExpiresMs: 1000,
    });
    appB = await NestFactory.createMicroservice<MicroserviceOptions>(
      ServiceBModule.register(pool),
      { strategy, logger: false },
    );
    appB.useGlobalFilters(new JetStreamExceptionFilter());
    await appB.listen();
    handled = appB.get(HandledMerges);

    // Service A: an HTTP app on fastify that publishes with EventPublisher.
    appA = await NestFactory.create<NestFastifyApplication>(
      ServiceAModule.register(new EventPublisher(ncA, namespace)),
      new FastifyAdapter(),
      { logger: false },
    );
    await appA.listen({ port: 0, host: '127.0.0.1' });
    baseA = await appA.getUrl();
  });

  after(async () => {
    // Every step runs even if an earlier one fails; the first failure is reported.
    const steps: Array<() => Promise<unknown> | undefined> = [
      () => appA?.close(),
      () => appB?.close(), // stops consumers, then drains B's connection
      () => ncA?.close(),
      () => pool?.end(),
      () => deleteNamespaceStreams(ns),
      () => telemetry.shutdown(),
    ];
    const errors: unknown[] = [];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  });

  void it('links A’s HTTP server span, B’s consumer span and B’s pg span in one trace', async () => {
    const exporter = telemetry.memoryExporter!;
    exporter.reset();

    const response = await fetch(`${baseA}/a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: 'p1', to: 'p2' }),
    });
    assert.equal(response.status, 202);
    const accepted = (await response.json()) as MergeAccepted;
    assert.equal(accepted.stream, STREAMS.identity.name);
    assert.equal(accepted.duplicate, false);

    const merge = await handled.waitFor(accepted.messageId);
    assert.equal(merge.subject, MERGED_SUBJECT);
    assert.deepEqual(merge.payload, { from: 'p1', to: 'p2' });
    assert.equal(merge.rowCount, 1);

    // The consumer span ends after the ack, i.e. after the handler resolved: poll for it.
    const consumerName = `${MERGED_PATTERN} process`;
    const spans = await eventually(() => {
      const finished = exporter.getFinishedSpans();
      const done =
        findServerSpan(finished, '/a') &&
        finished.some((s) => s.kind === SpanKind.CONSUMER && s.name === consumerName) &&
        finished.some((s) => s.kind === SpanKind.CLIENT && statementOf(s) === 'SELECT 1');
      return done ? finished : undefined;
    }, 'the server, consumer and pg spans');
    const all = describeSpans(spans);

    const server = findServerSpan(spans, '/a')!;
    const consumer = only(
      spans.filter((s) => s.kind === SpanKind.CONSUMER && s.name === consumerName),
      'consumer span',
      all,
    );
    const query = only(
      spans.filter((s) => s.kind === SpanKind.CLIENT && statementOf(s) === 'SELECT 1'),
      'pg SELECT 1 span',
      all,
    );

    // A's request starts the trace (fetch is not instrumented: no client span above it).
    assert.equal(server.parentSpanContext, undefined, `A's server span is the root\n${all}`);
    assert.equal(server.resource.attributes['service.name'], 'runtime-trace-test');
    const traceId = server.spanContext().traceId;

    // One trace: B's consumer and pg spans carry A's trace id.
    assert.equal(consumer.spanContext().traceId, traceId, `consumer trace id\n${all}`);
    assert.equal(query.spanContext().traceId, traceId, `pg trace id\n${all}`);

    // B's consumer span continues a context that crossed the wire (JetStream headers)...
    const hop = consumer.parentSpanContext;
    assert.ok(hop, `B's consumer span has a parent\n${all}`);
    assert.equal(
      hop.isRemote,
      true,
      `B's consumer span's parent came from message headers\n${all}`,
    );
    // ...the very context carried by the message's traceparent header...
    assert.equal(
      merge.traceparent,
      `00-${traceId}-${hop.spanId}-01`,
      'the handler saw the traceparent its consumer span continues',
    );
    // ...and that context is A's request (directly, or through a producer span if the
    // publisher ever gets one).
    const consumerAncestors = ancestorsOf(consumer, spans);
    const serverIndex = consumerAncestors.indexOf(server);
    assert.notEqual(serverIndex, -1, `B's consumer span descends from A's server span\n${all}`);
    for (const between of consumerAncestors.slice(0, serverIndex))
      assert.equal(between.kind, SpanKind.PRODUCER, `only publish spans between: ${between.name}`);

    // The transport's consumer span describes the delivery and succeeded.
    assert.equal(consumer.attributes['messaging.system'], 'nats');
    assert.equal(consumer.attributes['messaging.destination.name'], MERGED_SUBJECT);
    assert.equal(consumer.attributes['messaging.consumer.group.name'], DURABLE);
    assert.equal(consumer.attributes['messaging.message.id'], `${WORKSPACE}:${accepted.messageId}`);
    assert.equal(consumer.status.code, SpanStatusCode.UNSET);

    // B's handler ran inside that consumer span (Nest's pipeline kept the active context)...
    assert.equal(merge.activeSpan?.spanId, consumer.spanContext().spanId, 'active span in handler');
    // ...so its query is a local descendant of the consumer span, with no hop in between.
    assert.equal(query.parentSpanContext?.isRemote ?? false, false);
    const queryAncestors = ancestorsOf(query, spans);
    const consumerIndex = queryAncestors.indexOf(consumer);
    assert.notEqual(consumerIndex, -1, `B's pg span descends from B's consumer span\n${all}`);
    for (const between of queryAncestors.slice(0, consumerIndex))
      assert.equal(between.parentSpanContext?.isRemote ?? false, false, between.name);
  });
});

function only(spans: FinishedSpan[], what: string, all: string): FinishedSpan {
  assert.equal(spans.length, 1, `exactly one ${what}\n${all}`);
  return spans[0]!;
}
