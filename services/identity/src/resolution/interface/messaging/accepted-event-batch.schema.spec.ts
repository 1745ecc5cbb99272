import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAcceptedEventBatch } from './accepted-event-batch.schema';

const item = {
  type: 'track',
  messageId: 'm1',
  workspaceId: 'ws_1',
  sourceId: 'src_1',
  writeKeyId: 'wk_1',
  anonymousId: 'a1',
  event: 'Viewed',
  properties: { sku: 'x' },
  timestamp: '2025-01-01T00:00:00.000Z',
  receivedAt: '2025-01-01T00:00:01.000Z',
};

test('a valid batch keeps every field of its events (they travel on resolved)', () => {
  const parsed = parseAcceptedEventBatch({ items: [item] }, 'ws_1');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.items, [item]);
});

test('a batch is refused when an item belongs to another workspace or the header is missing', () => {
  const foreign = parseAcceptedEventBatch({ items: [item] }, 'ws_2');
  assert.equal(foreign.ok, false);
  assert.match(foreign.ok ? '' : foreign.reason, /items\.0\.workspaceId/);
  assert.equal(parseAcceptedEventBatch({ items: [item] }, undefined).ok, false);
});

test('malformed events are refused with the path of the first problem', () => {
  const parsed = parseAcceptedEventBatch({ items: [{ ...item, timestamp: 'yesterday' }] }, 'ws_1');
  assert.equal(parsed.ok, false);
  assert.match(parsed.ok ? '' : parsed.reason, /items\.0\.timestamp/);
  assert.equal(parseAcceptedEventBatch({ nope: true }, 'ws_1').ok, false);
});
