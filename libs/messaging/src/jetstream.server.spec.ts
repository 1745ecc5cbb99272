import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEventHandlerOptions } from './jetstream.server';

void test('event handler extras need a durable and positive numbers', () => {
  assert.deepEqual(parseEventHandlerOptions('cdp.x.>', { durable: 'd1', concurrency: 4 }), {
    durable: 'd1',
    concurrency: 4,
    maxDeliver: undefined,
    batchSize: undefined,
    backoffMs: undefined,
    maxBackoffMs: undefined,
    ackWaitMs: undefined,
    maxAckPending: undefined,
  });
  assert.throws(() => parseEventHandlerOptions('cdp.x.>', {}), /durable/);
  assert.throws(() => parseEventHandlerOptions('cdp.x.>', { durable: 'a.b' }), /durable/);
  assert.throws(
    () => parseEventHandlerOptions('cdp.x.>', { durable: 'd', maxDeliver: 0 }),
    /maxDeliver/,
  );
});
