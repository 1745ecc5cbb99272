import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager } from '@nats-io/jetstream';
import { createClickHouseClient, type ClickHouseClient } from '@cdp/persistence';
import { deleteNamespaceStreams, tempDir } from '@cdp/testing';
import type { AcceptedEvent, JsonObject } from '../../src/events/domain/accepted-event';
import { toEventRow } from '../../src/event-writer/domain/event-row';
import { EventsRefusedError } from '../../src/event-writer/application/events-refused.error';
import { WriteEventsUseCase } from '../../src/event-writer/application/write-events.use-case';
import { ClickHouseEventStore } from '../../src/event-writer/infrastructure/clickhouse-event-store';
import { startIngestion, type IngestionHarness } from '../support/harness';
import { acceptedEvent, count, publishBatch, rows, waitDrained, waitFor } from './support';

// The values of the e2e report, as JSON.parse hands them to the writer.
const EDGE_PROPERTIES: Record<string, JsonObject> = {
  'lone surrogate': JSON.parse('{"text":"\\ud800x"}') as JsonObject,
  'integer 2^64': JSON.parse('{"count":18446744073709551616}') as JsonObject,
  'dotted key collision': JSON.parse('{"a.b":1,"a":{"b":2}}') as JsonObject,
};
/** Deeper than ClickHouse's JSON parser goes (input_format_json_max_depth 1000): still refused. */
const tooDeep = (): JsonObject =>
  JSON.parse(`${'{"a":'.repeat(1100)}1${'}'.repeat(1100)}`) as JsonObject;

const env = {
  INGESTION_ROLES: 'writer',
  WRITER_FLUSH_ROWS: '100000',
  WRITER_FLUSH_INTERVAL_MS: '1500',
  CLICKHOUSE_URL: `chdb://${tempDir('cdp-writer-poison-ch-')}`,
};
let harness: IngestionHarness;
let ch: ClickHouseClient;

before(async () => {
  harness = await startIngestion(env);
  ch = createClickHouseClient(env.CLICKHOUSE_URL);
});
after(async () => {
  await harness.close();
  await ch.close();
  await deleteNamespaceStreams(harness.namespace);
});

test('one flush mixing good events, hard-to-store values and a poison: everything storable is stored once, the poison alone is dead-lettered with the reason', async () => {
  const ws = harness.tenant.workspaceId;
  const jsm = await jetstreamManager(harness.platform.infrastructure.nats);
  const dlq = harness.platform.infrastructure.namespace.stream('DEAD_LETTER');
  const dlqSubject = harness.platform.infrastructure.namespace.subject(
    'cdp.deadletter.message.failed.v1.event-writer',
  );
  const dlqBefore = (await jsm.streams.info(dlq)).state.messages;

  const good = Array.from({ length: 30 }, () => acceptedEvent(ws));
  const edges = Object.entries(EDGE_PROPERTIES).map(([name, properties]) =>
    acceptedEvent(ws, { event: name, properties }),
  );
  const nulls = acceptedEvent(ws, {
    event: 'nulls',
    properties: { coupon: null, empty: {}, note: 'y'.repeat(100_000) },
  });
  const poison = acceptedEvent(ws, { event: 'too deep', properties: tooDeep() });
  const besidePoison = acceptedEvent(ws);
  // Published back to back: one flush (the interval is 1.5 s, the size is never reached).
  await Promise.all([
    publishBatch(harness, good.slice(0, 10)),
    publishBatch(harness, [...good.slice(10, 20), ...edges.slice(0, 2)], { partition: 1 }),
    publishBatch(harness, [edges[2], nulls], { partition: 2 }),
    publishBatch(harness, [besidePoison, poison], { partition: 3 }),
    publishBatch(harness, good.slice(20), { partition: 4 }),
  ]);

  const storable = [...good, ...edges, nulls, besidePoison];
  const ids = storable.map((e) => e.messageId);
  await waitFor(
    'every storable event',
    async () => (await count(ch, 'message_id IN {ids:Array(String)}', { ids })) === ids.length,
    20_000,
  );
  await waitFor(
    'the dead letter',
    async () => (await jsm.streams.info(dlq)).state.messages - dlqBefore === 1,
  );
  await waitDrained(harness);
  const last = await jsm.streams.getMessage(dlq, { last_by_subj: dlqSubject });
  const reason = last?.header.get('cdp-dlq-error') ?? '';
  assert.match(reason, new RegExp(`ClickHouse refused 1 event\\(s\\).*${poison.messageId}`));
  assert.match(reason, /Cannot parse JSON object/);

  // exactly once each, the poison never
  const copies = await rows<{ message_id: string; n: string }>(
    ch,
    `SELECT message_id, count() AS n FROM events WHERE workspace_id = {ws:String}
     GROUP BY message_id`,
    { ws },
  );
  assert.deepEqual(
    copies.map((r) => [r.message_id, Number(r.n)]).sort(),
    ids.map((id) => [id, 1]).sort(),
  );

  // raw = the event as consumed; the typed copy is queryable and sanitised
  const stored = await rows<{ message_id: string; raw: string; typed: string }>(
    ch,
    `SELECT message_id, raw, toString(properties) AS typed FROM events
     WHERE message_id IN {ids:Array(String)}`,
    { ids: [...edges, nulls].map((e) => e.messageId) },
  );
  const byId = new Map(stored.map((r) => [r.message_id, r]));
  for (const event of [...edges, nulls])
    assert.deepEqual(JSON.parse(byId.get(event.messageId)?.raw ?? 'null'), event, event.event);
  const typed = (e: AcceptedEvent) => JSON.parse(byId.get(e.messageId)?.typed ?? 'null') as unknown;
  assert.deepEqual(typed(edges[0] as AcceptedEvent), { text: '\ufffdx' });
  assert.deepEqual(typed(edges[1] as AcceptedEvent), { count: 18446744073709552000 });
  assert.deepEqual(typed(edges[2] as AcceptedEvent), { a: { b: 1 } });
  assert.equal(
    (typed(nulls) as { note: string }).note.length,
    100_000,
    'large text kept whole in the typed copy',
  );
  assert.match(byId.get(nulls.messageId)?.raw ?? '', /"coupon":null,"empty":\{\}/);

  // nothing is redelivered forever: every message was delivered at most twice
  const info = await jsm.consumers.info(
    harness.platform.infrastructure.namespace.stream('EVENTS'),
    'event-writer',
  );
  assert.equal(info.num_redelivered, 0);
});

test('without the typed copy, the three values ClickHouse refuses are isolated by bisection and reported with its reason', async () => {
  const ws = harness.tenant.workspaceId;
  const store = new ClickHouseEventStore(ch, { statementTimeoutMs: 20_000, typedJson: 'verbatim' });
  const writer = new WriteEventsUseCase(store, { dedupWindowHours: 24, claimTimeoutMs: 60_000 });
  const edges = Object.entries(EDGE_PROPERTIES).map(([name, properties]) =>
    acceptedEvent(ws, { event: name, properties }),
  );
  const good = Array.from({ length: 40 }, () => acceptedEvent(ws));
  const batches = [
    [...good.slice(0, 10), edges[0]],
    good.slice(10, 25),
    [edges[1], ...good.slice(25, 30)],
    [edges[2]],
    good.slice(30),
  ].map((b) => b.map((e) => toEventRow(e as AcceptedEvent)));
  const result = await writer.execute(`verbatim-${Date.now()}`, batches);
  assert.deepEqual([result.inserted, result.refused], [40, 3]);
  assert.deepEqual(
    result.failed.map((f) => (f instanceof EventsRefusedError ? f.messageIds : f)),
    [[edges[0]?.messageId], undefined, [edges[1]?.messageId], [edges[2]?.messageId], undefined],
  );
  assert.match(
    String(result.failed[0]?.message),
    /Cannot parse JSON object here: \{"text":"\\ud800x"\}/,
  );
  assert.match(String(result.failed[2]?.message), /18446744073709552000/);
  assert.match(String(result.failed[3]?.message), /type_json_skip_duplicated_paths/);
  const ids = good.map((e) => e.messageId);
  assert.equal(await count(ch, 'message_id IN {ids:Array(String)}', { ids }), 40);
  const again = await writer.execute(`verbatim-again-${Date.now()}`, batches.slice(1, 2));
  assert.deepEqual([again.inserted, again.duplicates], [0, 15], 'stored rows were committed');
});
