import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BATCH_ENVELOPE_BYTES, planAdd } from './batch-policy';

const limits = { maxItems: 3, maxBytes: 100 };

void test('items accumulate until maxItems, then the batch is flushed', () => {
  assert.deepEqual(planAdd({ items: 0, bytes: 0 }, 10, limits), {
    flushBefore: false,
    flushAfter: false,
  });
  assert.deepEqual(planAdd({ items: 1, bytes: 10 }, 10, limits), {
    flushBefore: false,
    flushAfter: false,
  });
  assert.deepEqual(planAdd({ items: 2, bytes: 20 }, 10, limits), {
    flushBefore: false,
    flushAfter: true,
  });
});

void test('an item that would overflow maxBytes flushes the current batch first', () => {
  // body = envelope + 60 + 30 + 1 comma > 100
  const plan = planAdd({ items: 1, bytes: 60 }, 30, limits);
  assert.equal(plan.flushBefore, true);
  assert.equal(plan.flushAfter, false);
});

void test('a batch reaching maxBytes exactly is flushed after the add', () => {
  const itemBytes = 100 - BATCH_ENVELOPE_BYTES;
  assert.deepEqual(planAdd({ items: 0, bytes: 0 }, itemBytes, limits), {
    flushBefore: false,
    flushAfter: true,
  });
});

void test('an item bigger than maxBytes travels alone', () => {
  assert.deepEqual(planAdd({ items: 0, bytes: 0 }, 500, limits), {
    flushBefore: false,
    flushAfter: true,
  });
  assert.deepEqual(planAdd({ items: 2, bytes: 10 }, 500, limits), {
    flushBefore: true,
    flushAfter: true,
  });
});
