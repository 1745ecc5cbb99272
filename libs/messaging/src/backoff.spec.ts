import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBackoffMs } from './backoff';

const policy = { baseMs: 500, factor: 2, maxMs: 10_000, jitter: 0.2 };
const middle = (): number => 0.5;

void test('the delay doubles per failed delivery', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((n) => computeBackoffMs(n, policy, middle)),
    [500, 1000, 2000, 4000, 8000],
  );
});

void test('the delay is capped', () => {
  assert.equal(computeBackoffMs(30, policy, middle), 10_000);
  assert.equal(computeBackoffMs(10_000, policy, middle), 10_000);
});

void test('jitter spreads the delay by at most ±jitter/2', () => {
  assert.equal(
    computeBackoffMs(1, policy, () => 0),
    450,
  );
  assert.equal(
    computeBackoffMs(1, policy, () => 1),
    550,
  );
  for (let i = 0; i < 200; i++) {
    const d = computeBackoffMs(3, policy);
    assert.ok(d >= 1800 && d <= 2200, String(d));
  }
});

void test('nonsense delivery counts are treated as the first delivery', () => {
  assert.equal(computeBackoffMs(0, policy, middle), 500);
  assert.equal(computeBackoffMs(-3, policy, middle), 500);
});
