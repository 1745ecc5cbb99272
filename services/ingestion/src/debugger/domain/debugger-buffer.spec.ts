import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type DebuggerEntry } from '../application/event-debugger.port';
import { DebuggerBuffer, mergeLatest } from './debugger-buffer';

const accepted = (n: number, at = n): DebuggerEntry => ({
  status: 'accepted',
  receivedAt: new Date(1_700_000_000_000 + at).toISOString(),
  event: { n },
});

test('keeps the latest entries per source, newest first, bounded in count', () => {
  const buffer = new DebuggerBuffer({ entriesPerSource: 5, ratePerSecond: 1e9 });
  for (let i = 0; i < 12; i++) buffer.record('w', 's', accepted(i), 0);
  assert.deepEqual(
    buffer.latest('w', 's', 50).map((e) => (e.event as { n: number }).n),
    [11, 10, 9, 8, 7],
  );
  assert.deepEqual(
    buffer.latest('w', 's', 2).map((e) => (e.event as { n: number }).n),
    [11, 10],
  );
  assert.deepEqual(buffer.latest('w', 'other', 5), []);
  assert.deepEqual(buffer.latest('other', 's', 5), [], 'keyed by workspace too');
});

test('bounded in bytes per source and in number of sources', () => {
  const buffer = new DebuggerBuffer({
    entriesPerSource: 500,
    maxBytesPerSource: 1000,
    maxSources: 3,
    ratePerSecond: 1e9,
  });
  for (let i = 0; i < 100; i++)
    buffer.record('w', 's', { ...accepted(i), event: { pad: 'x'.repeat(100), n: i } }, 0);
  const kept = buffer.latest('w', 's', 500);
  assert.ok(kept.length > 0 && kept.length < 10, `${kept.length} entries`);
  assert.equal((kept[0]?.event as { n: number }).n, 99);
  for (const s of ['a', 'b', 'c', 'd']) buffer.record('w', s, accepted(1), 0);
  assert.equal(buffer.sources, 3);
  assert.deepEqual(buffer.latest('w', 's', 5), [], 'least recently recorded source dropped');
  assert.equal(buffer.stats.evictedSources, 2);
});

test('rate limited per source (token bucket); other sources unaffected', () => {
  const buffer = new DebuggerBuffer({ ratePerSecond: 100 });
  let kept = 0;
  for (let i = 0; i < 1000; i++) if (buffer.record('w', 's', accepted(i), 0)) kept++;
  assert.equal(kept, 100);
  assert.equal(buffer.stats.rateLimited, 900);
  assert.ok(buffer.record('w', 'other', accepted(1), 0));
  assert.ok(!buffer.record('w', 's', accepted(1), 5), '0.5 token after 5 ms');
  assert.ok(buffer.record('w', 's', accepted(1), 20), 'refilled after 10 ms at 100/s');
});

test('huge events are truncated, unserializable ones replaced, entries are snapshots', () => {
  const buffer = new DebuggerBuffer({ maxEventChars: 100 });
  buffer.record('w', 's', { ...accepted(1), event: { text: 'y'.repeat(10_000) } }, 0);
  const [big] = buffer.latest('w', 's', 1);
  const truncated = big?.event as { truncated: boolean; length: number; preview: string };
  assert.equal(truncated.truncated, true);
  assert.equal(truncated.preview.length, 100);
  assert.ok(truncated.length > 10_000);

  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  buffer.record('w', 's', { ...accepted(2), event: cyclic }, 1000);
  assert.deepEqual(buffer.latest('w', 's', 1)[0]?.event, { unserializable: true });

  const event = { n: 1 };
  buffer.record('w', 's', { status: 'rejected', receivedAt: 'x', event, reasons: [] }, 2000);
  event.n = 2;
  assert.deepEqual(buffer.latest('w', 's', 1)[0]?.event, { n: 1 });
});

test('rejected entries keep their reasons (capped)', () => {
  const buffer = new DebuggerBuffer({ maxReasons: 2 });
  const reasons = [1, 2, 3].map((i) => ({ field: `f${i}`, message: 'bad' }));
  buffer.record('w', 's', { status: 'rejected', receivedAt: 't', event: {}, reasons }, 0);
  const [entry] = buffer.latest('w', 's', 1);
  assert.equal(entry?.status, 'rejected');
  assert.deepEqual(entry?.status === 'rejected' ? entry.reasons : [], reasons.slice(0, 2));
});

test('merging several pods: newest first by receivedAt, limited', () => {
  const podA = [accepted(5), accepted(3), accepted(1)];
  const podB = [accepted(4), accepted(2)];
  assert.deepEqual(
    mergeLatest([podA, podB], 4).map((e) => (e.event as { n: number }).n),
    [5, 4, 3, 2],
  );
});
