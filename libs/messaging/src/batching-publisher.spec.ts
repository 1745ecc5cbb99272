import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchBodyBytes, batchMessageId } from './batching-publisher';

void test('batch ids are deterministic from subject and item ids', () => {
  const a = batchMessageId('cdp.ingestion.event.accepted.v1.ws.0', ['e1', 'e2']);
  assert.equal(a, batchMessageId('cdp.ingestion.event.accepted.v1.ws.0', ['e1', 'e2']));
  assert.notEqual(a, batchMessageId('cdp.ingestion.event.accepted.v1.ws.0', ['e1', 'e3']));
  assert.notEqual(a, batchMessageId('cdp.ingestion.event.accepted.v1.ws.1', ['e1', 'e2']));
  assert.notEqual(batchMessageId('s', ['a\nb']), batchMessageId('s', ['a', 'b']));
  assert.notEqual(batchMessageId('s', ['ab']), batchMessageId('s', ['a', 'b']));
  assert.match(a, /^batch-[0-9a-f]{32}$/);
});

void test('body size accounts for envelope and commas', () => {
  assert.equal(batchBodyBytes([3, 4]), '{"items":[aaa,bbbb]}'.length);
  assert.equal(batchBodyBytes([]), '{"items":[]}'.length);
});
