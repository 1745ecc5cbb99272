import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionOf } from './partition';

test('the same person always lands on the same partition', () => {
  assert.equal(partitionOf('ws', 'anon-1', 16), partitionOf('ws', 'anon-1', 16));
});

test('partitions spread people and stay in range', () => {
  const counts = new Array<number>(8).fill(0);
  for (let i = 0; i < 8000; i++) {
    const p = partitionOf('ws', `user-${i}`, 8);
    assert.ok(p >= 0 && p < 8);
    counts[p] = (counts[p] ?? 0) + 1;
  }
  for (const count of counts)
    assert.ok(count > 800 && count < 1200, `uneven spread: ${counts.join(',')}`);
});

test('the workspace is part of the key', () => {
  const differs = Array.from({ length: 50 }, (_, i) => `u${i}`).some(
    (u) => partitionOf('a', u, 16) !== partitionOf('b', u, 16),
  );
  assert.ok(differs);
});
