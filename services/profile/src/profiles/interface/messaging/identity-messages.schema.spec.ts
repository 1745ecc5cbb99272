import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResolvedBatch } from './identity-messages.schema';

const flat = {
  type: 'track',
  messageId: 'm-1',
  workspaceId: 'ws_1',
  event: 'Order Completed',
  timestamp: '2025-01-01T00:00:00Z',
  profileId: 'p-1',
};

test('reads the flat items identity publishes and the nested proto form alike', () => {
  const fromIdentity = parseResolvedBatch({ items: [flat] }, 'ws_1');
  const { profileId, ...event } = flat;
  const nested = parseResolvedBatch(
    { items: [{ event: { ...event, type: 'EVENT_TYPE_TRACK' }, profileId }] },
    'ws_1',
  );
  assert.ok(fromIdentity.ok && nested.ok);
  assert.deepEqual(nested.items, fromIdentity.items);
});

test('refuses items of another workspace and invalid payloads (dead-lettered)', () => {
  const stranger = parseResolvedBatch({ items: [{ ...flat, workspaceId: 'ws_2' }] }, 'ws_1');
  assert.equal(stranger.ok, false);
  const invalid = parseResolvedBatch({ items: [{ ...flat, timestamp: 'yesterday' }] }, 'ws_1');
  assert.equal(invalid.ok, false);
  assert.equal(parseResolvedBatch({ items: [flat] }, undefined).ok, false);
});
