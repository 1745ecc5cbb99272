import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DomainError, STREAMS } from '@cdp/contracts';
import {
  deadLetterSubject,
  EventPublisher,
  JetStreamServer,
  NonRetryableError,
  type JetStreamContext,
} from '../src';
import { connect, deleteStreams, sleep, testNamespace, waitFor } from './support';

const ns = testNamespace();
let nc: NatsConnection;
let jsm: JetStreamManager;
let publisher: EventPublisher;
const servers: JetStreamServer[] = [];

before(async () => {
  nc = await connect('jetstream-server-spec');
  jsm = await jetstreamManager(nc);
  publisher = new EventPublisher(nc, ns);
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await nc.close();
  await deleteStreams(ns);
});

/** A server on its own connection with one event handler. */
async function serve(
  pattern: string,
  extras: Record<string, unknown>,
  handler: (payload: unknown, ctx: JetStreamContext) => Promise<unknown>,
): Promise<JetStreamServer> {
  const server = new JetStreamServer({
    connection: await connect('server'),
    namespace: ns,
    lagPollMs: 0,
    fetchExpiresMs: 1000,
  });
  server.addHandler(
    pattern,
    (data: unknown, ctx?: unknown) => handler(data, ctx as JetStreamContext),
    true,
    extras,
  );
  await server.start();
  servers.push(server);
  return server;
}

const publish = (subject: string, payload: unknown, messageId: string): Promise<unknown> =>
  publisher.publish(subject, payload, { messageId, workspaceId: 'ws1', schema: 'test.v1' });

async function deadLetters(durable: string): Promise<number> {
  const info = await jsm.streams.info(ns.stream(STREAMS.deadletter.name), {
    subjects_filter: ns.subject(deadLetterSubject(durable)),
  });
  return info.state.subjects?.[ns.subject(deadLetterSubject(durable))] ?? 0;
}

void test('a failing handler is redelivered with its delivery count until it succeeds, then acked once', async () => {
  const deliveries: number[] = [];
  const successes: number[] = [];
  await serve(
    'cdp.identity.profile.merged.v1.*',
    { durable: 'redeliver', backoffMs: 50, maxDeliver: 5 },
    async (_payload, ctx) => {
      deliveries.push(ctx.deliveryCount);
      if (ctx.deliveryCount <= 2) throw new Error(`transient failure ${ctx.deliveryCount}`);
      successes.push(ctx.deliveryCount);
      return Promise.resolve();
    },
  );
  await publish('cdp.identity.profile.merged.v1.ws1', { n: 1 }, 'r-1');
  await waitFor(() => successes.length === 1, 10_000, 'the third delivery');
  await sleep(500); // a wrongly un-acked message would come back in ack_wait; a wrong nak at once
  assert.deepEqual(deliveries, [1, 2, 3]);
  assert.deepEqual(successes, [3]);
  const info = await jsm.consumers.info(ns.stream('IDENTITY'), 'redeliver');
  assert.equal(info.num_ack_pending, 0);
  assert.equal(info.num_pending, 0);
  assert.equal(info.ack_floor.stream_seq, info.delivered.stream_seq);
  assert.equal(await deadLetters('redeliver'), 0);
});

void test('after maxDeliver failures the message is dead-lettered with its cause and never redelivered', async () => {
  let calls = 0;
  await serve(
    'cdp.identity.profile.split.v1.*',
    { durable: 'dlq-max', backoffMs: 20, maxDeliver: 3, ackWaitMs: 1000 },
    () => {
      calls++;
      return Promise.reject(new Error(`database exploded #${calls}`));
    },
  );
  const { seq } = (await publish(
    'cdp.identity.profile.split.v1.ws1',
    { profileId: 'p1' },
    'dlq-1',
  )) as { seq: number };
  await waitFor(async () => (await deadLetters('dlq-max')) === 1, 10_000, 'the dead letter');
  const dlq = await jsm.streams.getMessage(ns.stream(STREAMS.deadletter.name), {
    last_by_subj: ns.subject(deadLetterSubject('dlq-max')),
  });
  assert.ok(dlq);
  assert.deepEqual(dlq.json(), { profileId: 'p1' });
  assert.equal(dlq.header.get('cdp-dlq-error'), 'database exploded #3');
  assert.equal(dlq.header.get('cdp-dlq-deliveries'), '3');
  assert.equal(dlq.header.get('cdp-dlq-subject'), 'cdp.identity.profile.split.v1.ws1');
  assert.equal(dlq.header.get('cdp-dlq-stream'), 'IDENTITY');
  assert.equal(dlq.header.get('cdp-dlq-sequence'), String(seq));
  assert.equal(dlq.header.get('cdp-dlq-consumer'), 'dlq-max');
  assert.equal(dlq.header.get('cdp-workspace'), 'ws1');
  assert.equal(dlq.header.get('cdp-dlq-msg-id'), 'ws1:dlq-1');
  await sleep(1500); // > ack_wait: a message that was not terminated would be redelivered
  assert.equal(calls, 3);
  const info = await jsm.consumers.info(ns.stream('IDENTITY'), 'dlq-max');
  assert.equal(info.num_ack_pending, 0);
  assert.equal(info.num_redelivered, 0);
});

void test('poison messages (non-retryable errors, invalid JSON) are dead-lettered at the first delivery', async () => {
  const seen: number[] = [];
  await serve(
    'cdp.profile.profile.updated.v1.*',
    { durable: 'poison', maxDeliver: 5, ackWaitMs: 1000 },
    (payload, ctx) => {
      seen.push(ctx.deliveryCount);
      const kind = (payload as { kind: string }).kind;
      if (kind === 'domain')
        return Promise.reject(new DomainError('invalid', 'profile.bad', 'bad trait'));
      return Promise.reject(new NonRetryableError('cannot ever work'));
    },
  );
  await publish('cdp.profile.profile.updated.v1.ws1', { kind: 'domain' }, 'p-1');
  await publish('cdp.profile.profile.updated.v1.ws1', { kind: 'plain' }, 'p-2');
  nc.publish(ns.subject('cdp.profile.profile.updated.v1.ws1'), '{not json');
  await waitFor(async () => (await deadLetters('poison')) === 3, 10_000, 'three dead letters');
  await sleep(1200);
  assert.deepEqual(seen, [1, 1], 'the handler never sees invalid JSON and nothing is retried');
  const last = await jsm.streams.getMessage(ns.stream(STREAMS.deadletter.name), {
    last_by_subj: ns.subject(deadLetterSubject('poison')),
  });
  assert.match(last?.header.get('cdp-dlq-error') ?? '', /invalid JSON/);
  assert.equal(last?.string(), '{not json');
});

void test('the context exposes the message without namespace', async () => {
  const contexts: JetStreamContext[] = [];
  const payloads: unknown[] = [];
  await serve('cdp.crm.deal.won.v1.*', { durable: 'ctx' }, (payload, ctx) => {
    payloads.push(payload);
    contexts.push(ctx);
    return Promise.resolve();
  });
  const { seq } = (await publish('cdp.crm.deal.won.v1.ws1', { dealId: 'd1' }, 'deal-1')) as {
    seq: number;
  };
  await waitFor(() => contexts.length === 1, 5000, 'the delivery');
  const ctx = contexts[0]!;
  assert.deepEqual(payloads, [{ dealId: 'd1' }]);
  assert.equal(ctx.subject, 'cdp.crm.deal.won.v1.ws1');
  assert.equal(ctx.stream, 'CRM');
  assert.equal(ctx.workspaceId, 'ws1');
  assert.equal(ctx.messageId, 'deal-1');
  assert.equal(ctx.deliveryCount, 1);
  assert.equal(ctx.streamSequence, seq);
  assert.equal(ctx.getHeader('cdp-schema'), 'test.v1');
});

void test('concurrency bounds the handler calls in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  let done = 0;
  await serve(
    'cdp.activation.delivery.sent.v1.*',
    { durable: 'bounded', concurrency: 3, batchSize: 10 },
    async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(30);
      inFlight--;
      done++;
    },
  );
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      publish('cdp.activation.delivery.sent.v1.ws1', { i }, `b-${i}`),
    ),
  );
  await waitFor(() => done === 20, 10_000, '20 handled');
  assert.equal(peak, 3);
});
