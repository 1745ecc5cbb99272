import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { startIngestion, type IngestionHarness } from '../support/harness';

/**
 * The exact wire form of SDKs whose requests differ from Segment's own: RudderStack's Node SDK
 * (3.x, axios) posts a gzipped JSON batch with Basic auth and, because axios does not label a
 * Buffer, `Content-Type: application/x-www-form-urlencoded`.
 */
let harness: IngestionHarness;
let writeKey: string;
let sourceId: string;

before(async () => {
  harness = await startIngestion({ INGESTION_ROLES: 'api' });
  const source = (await (
    await harness.api('/v1/sources', {
      method: 'POST',
      body: JSON.stringify({ name: 'rudder', kind: 'server' }),
    })
  ).json()) as { id: string };
  sourceId = source.id;
  const key = (await (
    await harness.api(`/v1/sources/${sourceId}/write-keys`, { method: 'POST', body: '{}' })
  ).json()) as { key: string };
  writeKey = key.key;
});
after(() => harness.close());

const rudderBatch = () => ({
  batch: [
    {
      type: 'track',
      event: 'Order Completed',
      userId: 'rudder-user-1',
      messageId: `rudder-${process.pid}-1`,
      properties: { revenue: 42, items: [{ sku: 'a' }] },
      context: { library: { name: 'analytics-node', version: '3.0.13' } },
      channel: 'server',
      _metadata: { nodeVersion: process.versions.node },
      originalTimestamp: new Date().toISOString(),
      sentAt: new Date().toISOString(),
    },
  ],
  sentAt: new Date().toISOString(),
});

test('a gzipped batch labelled application/x-www-form-urlencoded is collected (RudderStack Node SDK)', async () => {
  const response = await fetch(`${harness.url}/v1/batch`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      'content-encoding': 'gzip',
      accept: 'application/json, text/plain, */*',
    },
    body: gzipSync(JSON.stringify(rudderBatch())),
  });
  assert.equal(response.status, 200, await response.clone().text());
  assert.deepEqual(((await response.json()) as { accepted: number }).accepted, 1);
  const debug = (await (await harness.api(`/v1/sources/${sourceId}/events?limit=5`)).json()) as {
    data: { status: string; event: { userId?: string; event?: string; properties?: unknown } }[];
  };
  const stored = debug.data.find((entry) => entry.status === 'accepted');
  assert.equal(stored?.event.userId, 'rudder-user-1');
  assert.equal(stored?.event.event, 'Order Completed');
  assert.deepEqual(stored?.event.properties, { revenue: 42, items: [{ sku: 'a' }] });
});

test('other routes still read a form body as a form', async () => {
  const response = await harness.api('/v1/sources', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'name=from-a-form&kind=server',
  });
  assert.equal(response.status, 201, await response.clone().text());
  assert.equal(((await response.json()) as { name: string }).name, 'from-a-form');
});
