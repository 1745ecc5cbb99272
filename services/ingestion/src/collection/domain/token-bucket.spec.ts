import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBuckets } from './token-bucket';

test('a workspace gets its burst, then waits for refill; workspaces are independent', () => {
  let now = 0;
  const buckets = new TokenBuckets(10, 10, () => now);
  assert.deepEqual(buckets.take('a', 10), { ok: true });
  assert.deepEqual(buckets.take('a', 5), { ok: false, retryAfterSeconds: 1 });
  assert.deepEqual(buckets.take('b', 10), { ok: true });
  now = 500;
  assert.deepEqual(buckets.take('a', 5), { ok: true });
  assert.deepEqual(buckets.take('a', 1), { ok: false, retryAfterSeconds: 1 });
});

test('a request larger than the burst passes on a full bucket and leaves it in debt', () => {
  let now = 0;
  const buckets = new TokenBuckets(10, 10, () => now);
  assert.deepEqual(buckets.take('a', 30), { ok: true });
  now = 1000;
  assert.equal(buckets.take('a', 1).ok, false);
  now = 3100;
  assert.equal(buckets.take('a', 1).ok, true);
});

test('Retry-After covers the deficit', () => {
  const buckets = new TokenBuckets(2, 10, () => 0);
  buckets.take('a', 10);
  assert.deepEqual(buckets.take('a', 7), { ok: false, retryAfterSeconds: 4 });
});
