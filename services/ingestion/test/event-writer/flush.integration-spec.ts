import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClickHouseClient, type ClickHouseClient } from '@cdp/persistence';
import { deleteNamespaceStreams, tempDir } from '@cdp/testing';
import { startIngestion, type IngestionHarness } from '../support/harness';
import { acceptedEvent, count, publishBatch, waitFor } from './support';

// A long interval: anything written quickly was flushed by size (or by shutdown).
const env = {
  INGESTION_ROLES: 'writer',
  WRITER_FLUSH_ROWS: '5000',
  WRITER_FLUSH_INTERVAL_MS: '60000',
  CLICKHOUSE_URL: `chdb://${tempDir('cdp-writer-flush-ch-')}`,
};
let harness: IngestionHarness;
let ch: ClickHouseClient;
let namespace: string;

before(async () => {
  harness = await startIngestion(env);
  namespace = harness.namespace;
  ch = createClickHouseClient(env.CLICKHOUSE_URL);
});
after(async () => {
  await harness.close();
  await ch.close();
  await deleteNamespaceStreams(namespace);
});

test('flushes by size long before the interval, and measures rows/s into embedded ClickHouse', async () => {
  const ws = harness.tenant.workspaceId;
  const messages = 200;
  const perMessage = 100; // 20,000 events = 4 flushes of 5,000 rows
  const batches = Array.from({ length: messages }, () =>
    Array.from({ length: perMessage }, () => acceptedEvent(ws)),
  );
  const started = performance.now();
  await Promise.all(batches.map((items, i) => publishBatch(harness, items, { partition: i % 16 })));
  const published = performance.now();
  await waitFor(
    'all rows',
    async () => (await count(ch, 'workspace_id = {ws:String}', { ws })) === messages * perMessage,
    30_000,
  );
  const seconds = (performance.now() - started) / 1000;
  const rate = Math.round((messages * perMessage) / seconds);
  console.log(
    `event writer: ${messages * perMessage} rows in ${seconds.toFixed(2)} s (publish ${((published - started) / 1000).toFixed(2)} s) = ${rate} rows/s into embedded ClickHouse`,
  );
  assert.ok(seconds < 30);
});

test('a batch below the size waits for the interval; shutdown flushes it before the transport drains', async () => {
  const ws = harness.tenant.workspaceId;
  const event = acceptedEvent(ws);
  await publishBatch(harness, [event]);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(
    await count(ch, 'message_id = {m:String}', { m: event.messageId }),
    0,
    'not flushed yet',
  );
  const closing = performance.now();
  await harness.platform.close(); // our own client keeps the embedded engine open
  assert.ok(performance.now() - closing < 10_000);
  assert.equal(await count(ch, 'message_id = {m:String}', { m: event.messageId }), 1);
});
