import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats } from '@cdp/messaging';
import { createClickHouseClient, type ClickHouseClient } from '@cdp/persistence';
import {
  deleteNamespaceStreams,
  dropTestDatabase,
  missingDatabaseUrl,
  tempDir,
  TEST_NATS_URL,
  uniqueName,
} from '@cdp/testing';
import { startIngestion, type IngestionHarness } from '../support/harness';
import { acceptedEvent, count, publishBatch, rows, waitDrained, waitFor } from './support';

const CLAIM_TIMEOUT_MS = 2000;
const hoursAgo = (h: number) =>
  new Date(Date.now() - h * 3600_000).toISOString().replace('T', ' ').replace('Z', '');
const database = uniqueName('ingest_writer');
const env = {
  INGESTION_ROLES: 'writer',
  WRITER_FLUSH_ROWS: '100000',
  WRITER_FLUSH_INTERVAL_MS: '300',
  WRITER_CLAIM_TIMEOUT_MS: String(CLAIM_TIMEOUT_MS),
  CLICKHOUSE_URL: `chdb://${tempDir('cdp-writer-ch-')}`,
  DATABASE_URL: missingDatabaseUrl(database),
};
let harness: IngestionHarness;
/** Our own reference on the embedded engine, so it outlives a platform restart. */
let ch: ClickHouseClient;

before(async () => {
  harness = await startIngestion(env);
  ch = createClickHouseClient(env.CLICKHOUSE_URL);
});
after(async () => {
  await harness.platform.close();
  await ch.close();
  await deleteNamespaceStreams(harness.namespace);
  await dropTestDatabase(database);
});

test('accepted events land in ClickHouse with every field, JSON columns queryable by path', async () => {
  const ws = harness.tenant.workspaceId;
  const track = acceptedEvent(ws, {
    userId: 'user-1',
    anonymousId: 'anon-1',
    event: 'Order Completed',
    properties: {
      order: { id: 'o-1', total: 99.5, items: [{ sku: 'a' }] },
      note: 'x'.repeat(5000),
    },
    context: { ip: '1.2.3.4', page: { url: 'https://shop.example/cart' } },
    integrations: { All: true, Mixpanel: false },
    timestamp: '2025-03-04T05:06:07.089Z',
    originalTimestamp: '2025-03-04T05:06:06.000Z',
    sentAt: '2025-03-04T05:06:06.500Z',
    receivedAt: '2025-03-04T05:06:08.000Z',
    violations: [{ path: 'properties.total', message: 'is not planned' }],
  });
  const identify = acceptedEvent(ws, {
    type: 'identify',
    event: undefined,
    properties: undefined,
    userId: 'user-1',
    traits: { email: 'ivanov@example.com', plan: { tier: 'gold' } },
  });
  const page = acceptedEvent(ws, {
    type: 'page',
    event: undefined,
    name: 'Cart',
    category: 'Shop',
  });
  const group = acceptedEvent(ws, { type: 'group', event: undefined, groupId: 'g-1' });
  const alias = acceptedEvent(ws, {
    type: 'alias',
    event: undefined,
    previousId: 'anon-1',
    userId: 'user-1',
  });
  await publishBatch(harness, [track, identify, page, group, alias]);
  await waitFor(
    '5 rows',
    async () => (await count(ch, 'workspace_id = {ws:String}', { ws })) === 5,
  );

  const [row] = await rows<Record<string, unknown>>(
    ch,
    `SELECT workspace_id, message_id, type, event, anonymous_id, user_id, source_id, write_key_id,
            toString(timestamp) AS ts, toString(original_timestamp) AS ots, toString(sent_at) AS sent,
            toString(received_at) AS recv,
            properties.order.id AS order_id, properties.order.total AS total,
            length(properties.note::String) AS note_len,
            context.page.url AS url, context.ip AS ip, integrations, violations
     FROM events WHERE message_id = {id:String}`,
    { id: track.messageId },
  );
  assert.deepEqual(row, {
    workspace_id: ws,
    message_id: track.messageId,
    type: 'track',
    event: 'Order Completed',
    anonymous_id: 'anon-1',
    user_id: 'user-1',
    source_id: 'src-1',
    write_key_id: 'wk-1',
    ts: '2025-03-04 05:06:07.089',
    ots: '2025-03-04 05:06:06.000',
    sent: '2025-03-04 05:06:06.500',
    recv: '2025-03-04 05:06:08.000',
    order_id: 'o-1',
    total: 99.5,
    note_len: 5000,
    url: 'https://shop.example/cart',
    ip: '1.2.3.4',
    integrations: '{"All":true,"Mixpanel":false}',
    violations: [['properties.total', 'is not planned']].map(([path, message]) => ({
      path,
      message,
    })),
  });
  const others = await rows<Record<string, unknown>>(
    ch,
    `SELECT type, traits.email AS email, traits.plan.tier AS tier, name, category, group_id,
            previous_id, original_timestamp
     FROM events WHERE message_id IN {ids:Array(String)} ORDER BY type`,
    { ids: [identify.messageId, page.messageId, group.messageId, alias.messageId] },
  );
  assert.deepEqual(
    others.map((r) => [r.type, r.email, r.tier, r.name, r.category, r.group_id, r.previous_id]),
    [
      ['alias', null, null, '', '', '', 'anon-1'],
      ['group', null, null, '', '', 'g-1', ''],
      ['identify', 'ivanov@example.com', 'gold', '', '', '', ''],
      ['page', null, null, 'Cart', 'Shop', '', ''],
    ],
  );
  assert.equal(others[0]?.original_timestamp, null);
});

test('the same batch published twice (a retried request, new Nats-Msg-Id) gives one row per messageId without FINAL', async () => {
  const ws = harness.tenant.workspaceId;
  const items = Array.from({ length: 50 }, () => acceptedEvent(ws));
  const ids = items.map((e) => e.messageId);
  await publishBatch(harness, items, { messageId: 'retry-a' });
  await waitFor(
    'first copy',
    async () => (await count(ch, 'message_id IN {ids:Array(String)}', { ids })) === 50,
  );
  // Hours later the SDK retries: a new request, new receivedAt, a different JetStream message.
  const retried = items.map((e) => ({
    ...e,
    receivedAt: '2025-03-04T09:00:00.000Z',
    properties: { retried: true },
  }));
  await publishBatch(harness, retried, { messageId: 'retry-b' });
  await publishBatch(harness, retried.slice(0, 10), { messageId: 'retry-c', partition: 3 });
  await waitDrained(harness);
  assert.equal(await count(ch, 'message_id IN {ids:Array(String)}', { ids }), 50);
  const [plain] = await rows<{ n: number; u: number }>(
    ch,
    'SELECT count() AS n, uniqExact(message_id) AS u FROM events WHERE workspace_id = {ws:String}',
    { ws },
  );
  assert.equal(Number(plain?.n), Number(plain?.u), 'no messageId appears twice');
  // first seen wins: the original content and timestamps stay
  assert.equal(
    await count(ch, 'message_id IN {ids:Array(String)} AND properties.retried IS NOT NULL', {
      ids,
    }),
    0,
  );
});

test('the same messageId in another workspace is not suppressed', async () => {
  const other = await harness.newTenant();
  const shared = `shared-${Date.now()}`;
  await publishBatch(harness, [acceptedEvent(harness.tenant.workspaceId, { messageId: shared })]);
  await publishBatch(harness, [acceptedEvent(other.workspaceId, { messageId: shared })], {
    workspaceId: other.workspaceId,
  });
  await waitFor(
    'both workspaces',
    async () => (await count(ch, 'message_id = {m:String}', { m: shared })) === 2,
  );
});

test('a flush that crashed after inserting (claim not committed) is not duplicated on redelivery', async () => {
  const ws = harness.tenant.workspaceId;
  const event = acceptedEvent(ws);
  // The crashed flush: its claim and its row made it, its commit and its ack did not.
  await ch.insert({
    table: 'event_dedup',
    values: [{ workspace_id: ws, message_id: event.messageId, flush_id: 'crashed-flush' }],
    format: 'JSONEachRow',
    // chdb keeps per-query settings in its session: clear the writer's last dedup token
    clickhouse_settings: { insert_deduplication_token: '' },
  });
  await ch.insert({
    table: 'events',
    values: [
      {
        workspace_id: ws,
        message_id: event.messageId,
        type: 'track',
        event: 'crashed',
        timestamp: '2025-03-04 05:06:07.089',
        received_at: '2025-03-04 05:06:08.000',
        properties: {},
        traits: {},
        context: {},
      },
    ],
    format: 'JSONEachRow',
    // chdb keeps per-query settings in its session: clear the writer's last dedup token
    clickhouse_settings: { insert_deduplication_token: '' },
  });
  const lostRow = acceptedEvent(ws); // claimed by the crashed flush, but its insert never happened
  await ch.insert({
    table: 'event_dedup',
    values: [{ workspace_id: ws, message_id: lostRow.messageId, flush_id: 'crashed-flush' }],
    format: 'JSONEachRow',
    // chdb keeps per-query settings in its session: clear the writer's last dedup token
    clickhouse_settings: { insert_deduplication_token: '' },
  });
  const started = Date.now();
  await publishBatch(harness, [event, lostRow]);
  await waitFor(
    'the lost row',
    async () => (await count(ch, 'message_id = {m:String}', { m: lostRow.messageId })) === 1,
    20_000,
  );
  // deferred while the abandoned claim could still be in flight, then verified against events
  assert.ok(
    Date.now() - started >= CLAIM_TIMEOUT_MS - 500,
    `recovered after ${Date.now() - started} ms`,
  );
  await waitDrained(harness);
  assert.equal(await count(ch, 'message_id = {m:String}', { m: event.messageId }), 1);
  const [kept] = await rows<{ event: string }>(
    ch,
    'SELECT event FROM events WHERE message_id = {m:String}',
    { m: event.messageId },
  );
  assert.equal(kept?.event, 'crashed', 'the first written row stays');
});

test('the dedup window is explicit: an id first seen 23 h ago is dropped, 25 h ago is written again', async () => {
  const ws = harness.tenant.workspaceId;
  const recent = acceptedEvent(ws);
  const expired = acceptedEvent(ws);
  await ch.insert({
    table: 'event_dedup',
    values: [
      {
        workspace_id: ws,
        message_id: recent.messageId,
        flush_id: 'old-1',
        committed: 1,
        claimed_at: hoursAgo(23),
      },
      {
        workspace_id: ws,
        message_id: expired.messageId,
        flush_id: 'old-2',
        committed: 1,
        claimed_at: hoursAgo(25),
      },
    ],
    format: 'JSONEachRow',
    // chdb keeps per-query settings in its session: clear the writer's last dedup token
    clickhouse_settings: { insert_deduplication_token: '' },
  });
  await publishBatch(harness, [recent, expired]);
  await waitFor(
    'the expired id',
    async () => (await count(ch, 'message_id = {m:String}', { m: expired.messageId })) === 1,
  );
  await waitDrained(harness);
  assert.equal(await count(ch, 'message_id = {m:String}', { m: recent.messageId }), 0);
});

test('poison batches are dead-lettered, valid ones keep flowing', async () => {
  const ws = harness.tenant.workspaceId;
  const jsm = await jetstreamManager(harness.platform.infrastructure.nats);
  const dlq = harness.platform.infrastructure.namespace.stream('DEAD_LETTER');
  const dlqSubject = harness.platform.infrastructure.namespace.subject(
    'cdp.deadletter.message.failed.v1.event-writer',
  );
  const before = (await jsm.streams.info(dlq)).state.messages;
  await publishBatch(harness, [{ type: 'track', workspaceId: ws }]); // no messageId, no timestamps
  await publishBatch(harness, [acceptedEvent(ws, { timestamp: 'not a time' })]);
  const other = await harness.newTenant();
  await publishBatch(harness, [acceptedEvent(other.workspaceId)]); // item of another workspace
  const good = acceptedEvent(ws);
  await publishBatch(harness, [good]);
  await waitFor(
    '3 dead letters',
    async () => (await jsm.streams.info(dlq)).state.messages - before === 3,
  );
  const last = await jsm.streams.getMessage(dlq, { last_by_subj: dlqSubject });
  assert.match(last?.header.get('cdp-dlq-error') ?? '', /workspaceId does not match/);
  await waitFor(
    'the good event',
    async () => (await count(ch, 'message_id = {m:String}', { m: good.messageId })) === 1,
  );
});

test('after a crash that lost every ack, the whole stream is redelivered and nothing is duplicated', async () => {
  await waitDrained(harness);
  const ws = harness.tenant.workspaceId;
  const total = await count(ch);
  const [{ u } = { u: 0 }] = await rows<{ u: number }>(
    ch,
    'SELECT uniqExact(workspace_id, message_id) AS u FROM events',
  );
  assert.equal(total, Number(u));
  await harness.platform.close();
  // Deleting the durable consumer = no ack survived: JetStream delivers the stream from the start.
  const nc = await connectNats({ url: TEST_NATS_URL, name: 'event-writer-test' });
  await (
    await jetstreamManager(nc)
  ).consumers.delete(harness.platform.infrastructure.namespace.stream('EVENTS'), 'event-writer');
  await nc.drain();
  harness = await startIngestion({ ...env, NATS_NAMESPACE: harness.namespace });
  const fresh = acceptedEvent(ws);
  await publishBatch(harness, [fresh], { workspaceId: ws });
  await waitFor(
    'the fresh event',
    async () => (await count(ch, 'message_id = {m:String}', { m: fresh.messageId })) === 1,
  );
  await waitDrained(harness);
  assert.equal(await count(ch), total + 1);
  const info = await (
    await jetstreamManager(harness.platform.infrastructure.nats)
  ).consumers.info(harness.platform.infrastructure.namespace.stream('EVENTS'), 'event-writer');
  assert.ok(info.delivered.stream_seq > 5, 'the old messages were delivered again');
});

test('the writer exposes its metrics', async () => {
  const text = await (await fetch(`${harness.url}/metrics`)).text();
  for (const name of [
    'event_writer_rows_inserted_total',
    'event_writer_duplicates_dropped_total',
    'event_writer_flush_duration_seconds_bucket',
    'event_writer_buffer_rows',
    'messaging_consumer_lag_messages',
  ])
    assert.match(text, new RegExp(`^${name}`, 'm'), name);
  const dropped = /^event_writer_duplicates_dropped_total (\d+)/m.exec(text);
  assert.ok(Number(dropped?.[1]) > 0, 'duplicates were counted');
});
