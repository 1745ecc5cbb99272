import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventRow } from '../domain/event-row';
import { EventBuffer, type FlushSink } from './event-buffer';

const rows = (n: number) => Array.from({ length: n }, () => ({}) as EventRow);

function recordingSink(fail?: (i: number) => Error | undefined) {
  const flushes: number[][] = [];
  const sink: FlushSink = (batches) => {
    flushes.push(batches.map((b) => b.length));
    return Promise.resolve({ failed: batches.map((_, i) => fail?.(i)) });
  };
  return { flushes, sink };
}

void test('flushes by size as soon as flushRows are buffered', async () => {
  const { flushes, sink } = recordingSink();
  const buffer = new EventBuffer(sink, {
    flushRows: 5,
    flushIntervalMs: 60_000,
    maxPendingBatches: 100,
  });
  await Promise.all([buffer.add(rows(2)), buffer.add(rows(3))]);
  assert.deepEqual(flushes, [[2, 3]]);
});

void test('flushes by time when fewer rows arrive', async () => {
  const { flushes, sink } = recordingSink();
  const buffer = new EventBuffer(sink, {
    flushRows: 1000,
    flushIntervalMs: 30,
    maxPendingBatches: 100,
  });
  const started = performance.now();
  await buffer.add(rows(1));
  const waited = performance.now() - started;
  assert.deepEqual(flushes, [[1]]);
  assert.ok(waited >= 25 && waited < 1000, `waited ${waited} ms`);
});

void test('flushes when every consumer slot holds a waiting batch', async () => {
  const { flushes, sink } = recordingSink();
  const buffer = new EventBuffer(sink, {
    flushRows: 1000,
    flushIntervalMs: 60_000,
    maxPendingBatches: 2,
  });
  await Promise.all([buffer.add(rows(1)), buffer.add(rows(1))]);
  assert.deepEqual(flushes, [[1, 1]]);
});

void test('a failed flush rejects every waiting batch; per-batch failures reject only theirs', async () => {
  const failing = new EventBuffer(() => Promise.reject(new Error('clickhouse down')), {
    flushRows: 2,
    flushIntervalMs: 60_000,
    maxPendingBatches: 10,
  });
  const results = await Promise.allSettled([failing.add(rows(1)), failing.add(rows(1))]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );

  const { sink } = recordingSink((i) => (i === 1 ? new Error('deferred') : undefined));
  const partial = new EventBuffer(sink, {
    flushRows: 2,
    flushIntervalMs: 60_000,
    maxPendingBatches: 10,
  });
  const mixed = await Promise.allSettled([partial.add(rows(1)), partial.add(rows(1))]);
  assert.deepEqual(
    mixed.map((r) => r.status),
    ['fulfilled', 'rejected'],
  );
});

void test('one flush at a time; rows arriving meanwhile go into the next flush', async () => {
  let release: () => void = () => undefined;
  const flushes: number[] = [];
  const sink: FlushSink = async (batches) => {
    flushes.push(batches.length);
    if (flushes.length === 1) await new Promise<void>((r) => (release = r));
    return { failed: [] };
  };
  const buffer = new EventBuffer(sink, {
    flushRows: 1,
    flushIntervalMs: 60_000,
    maxPendingBatches: 10,
  });
  const first = buffer.add(rows(1));
  const second = buffer.add(rows(1));
  const third = buffer.add(rows(1));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(flushes, [1]);
  release();
  await Promise.all([first, second, third]);
  assert.deepEqual(flushes, [1, 2]);
});

void test('close() flushes what is buffered at once, and later batches immediately', async () => {
  const { flushes, sink } = recordingSink();
  const buffer = new EventBuffer(sink, {
    flushRows: 1000,
    flushIntervalMs: 60_000,
    maxPendingBatches: 100,
  });
  const pending = buffer.add(rows(3));
  await buffer.close();
  await pending;
  await buffer.add(rows(1));
  assert.deepEqual(flushes, [[3], [1]]);
});
