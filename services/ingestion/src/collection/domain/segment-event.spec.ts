import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeEvent, type RequestContext } from './segment-event';

const limits = { maxEventBytes: 32 * 1024, maxDepth: 32 };
const receivedAtMs = Date.UTC(2025, 2, 1, 12, 0, 0);
const request: RequestContext = {
  workspaceId: 'ws',
  sourceId: 'src',
  writeKeyId: 'wk',
  receivedAtMs,
  receivedAt: new Date(receivedAtMs).toISOString(),
};
const ids = () => 'generated-id';
const run = (raw: unknown, r: Partial<RequestContext> = {}) =>
  normalizeEvent(raw, { ...request, ...r }, limits, ids);
const fields = (raw: unknown, r: Partial<RequestContext> = {}) => {
  const result = run(raw, r);
  assert.equal(result.ok, false, 'expected a rejection');
  return result.ok ? [] : result.errors.map((e) => e.field);
};

test('a track call becomes an accepted event with ingestion fields and a generated messageId', () => {
  const result = run({
    type: 'track',
    userId: 'u',
    event: 'Order Completed',
    properties: { total: 10 },
  });
  assert.ok(result.ok);
  assert.deepEqual(result.event, {
    type: 'track',
    messageId: 'generated-id',
    workspaceId: 'ws',
    sourceId: 'src',
    writeKeyId: 'wk',
    timestamp: request.receivedAt,
    receivedAt: request.receivedAt,
    userId: 'u',
    event: 'Order Completed',
    properties: { total: 10 },
  });
});

test('ids: one of userId/anonymousId (alias: userId + previousId; group: groupId); numbers become strings', () => {
  assert.deepEqual(fields({ type: 'track', event: 'e' }), ['userId']);
  assert.deepEqual(fields({ type: 'alias', anonymousId: 'a' }), ['userId', 'previousId']);
  assert.deepEqual(fields({ type: 'group', userId: 'u' }), ['groupId']);
  const r = run({ type: 'group', userId: 7, groupId: 8 });
  assert.ok(r.ok);
  assert.equal(r.event.userId, '7');
  assert.equal(r.event.groupId, '8');
  assert.deepEqual(fields({ type: 'identify', userId: {} }), ['userId']);
  assert.deepEqual(fields({ type: 'identify', userId: 'u', messageId: 3 }), ['messageId']);
  assert.deepEqual(fields({ type: 'identify', userId: 'x'.repeat(1025) }), ['userId']);
});

test('type: required in a batch, must be known; the path type wins', () => {
  assert.deepEqual(fields({ userId: 'u' }), ['type']);
  assert.deepEqual(fields({ type: 'explode', userId: 'u' }), ['type']);
  const r = run({ type: 'explode', userId: 'u' }, { impliedType: 'identify' });
  assert.ok(r.ok);
  assert.equal(r.event.type, 'identify');
});

test('wrong types name the field', () => {
  assert.deepEqual(fields({ type: 'track', userId: 'u', event: 5 }), ['event']);
  assert.deepEqual(fields({ type: 'track', userId: 'u', event: '' }), ['event']);
  assert.deepEqual(fields({ type: 'track', userId: 'u', event: 'e', properties: [] }), [
    'properties',
  ]);
  assert.deepEqual(fields({ type: 'identify', userId: 'u', traits: 'x' }), ['traits']);
  assert.deepEqual(fields({ type: 'identify', userId: 'u', context: 1 }), ['context']);
  assert.deepEqual(fields({ type: 'identify', userId: 'u', integrations: true }), ['integrations']);
  assert.deepEqual(fields({ type: 'page', userId: 'u', name: 1, category: [] }), [
    'name',
    'category',
  ]);
  assert.deepEqual(fields('not an object'), ['$']);
  assert.deepEqual(fields(null), ['$']);
});

test('nested problems are reported with their path', () => {
  assert.deepEqual(
    fields({ type: 'track', userId: 'u', event: 'e', properties: { a: { b: [1, Infinity] } } }),
    ['properties.a.b.1'],
  );
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = { d: deep };
  const f = fields({ type: 'identify', userId: 'u', traits: deep });
  assert.equal(f.length, 1);
  assert.match(f[0] ?? '', /^traits(\.d)+$/);
});

test('timestamps: ISO strings only; skew corrected with the item or batch sentAt', () => {
  assert.deepEqual(fields({ type: 'track', userId: 'u', event: 'e', timestamp: 1700000000 }), [
    'timestamp',
  ]);
  assert.deepEqual(fields({ type: 'track', userId: 'u', event: 'e', sentAt: 'now' }), ['sentAt']);
  assert.deepEqual(
    fields({ type: 'track', userId: 'u', event: 'e', originalTimestamp: 'x', timestamp: 'y' }),
    ['originalTimestamp', 'timestamp'],
  );
  const item = run({
    type: 'track',
    userId: 'u',
    event: 'e',
    timestamp: '2025-03-01T13:00:00.000Z',
    sentAt: '2025-03-01T13:00:05.000Z',
  });
  assert.ok(item.ok);
  assert.equal(item.event.timestamp, '2025-03-01T11:59:55.000Z');
  assert.equal(item.event.originalTimestamp, '2025-03-01T13:00:00.000Z');
  const batch = run(
    { type: 'track', userId: 'u', event: 'e', timestamp: '2025-03-01T13:00:00.000Z' },
    {
      batchSentAtMs: Date.parse('2025-03-01T13:00:01.000Z'),
      batchSentAt: '2025-03-01T13:00:01.000Z',
    },
  );
  assert.ok(batch.ok);
  assert.equal(batch.event.timestamp, '2025-03-01T11:59:59.000Z');
  assert.equal(batch.event.sentAt, '2025-03-01T13:00:01.000Z');
  const noSent = run({ type: 'track', userId: 'u', event: 'e', timestamp: '2020-01-01T00:00:00Z' });
  assert.ok(noSent.ok);
  assert.equal(noSent.event.timestamp, '2020-01-01T00:00:00.000Z');
});

test('batch context/integrations merge into the item, item keys win', () => {
  const r = run(
    {
      type: 'track',
      userId: 'u',
      event: 'e',
      context: { locale: 'fr' },
      integrations: { X: false },
    },
    { batchContext: { locale: 'en', ip: '1.1.1.1' }, batchIntegrations: { All: true, X: true } },
  );
  assert.ok(r.ok);
  assert.deepEqual(r.event.context, { locale: 'fr', ip: '1.1.1.1' });
  assert.deepEqual(r.event.integrations, { All: true, X: false });
});

test('size: events over the limit are refused as a whole, including multi-byte text', () => {
  assert.deepEqual(
    fields({ type: 'track', userId: 'u', event: 'e', properties: { t: 'x'.repeat(33 * 1024) } }),
    ['$'],
  );
  // 11k characters of 3 bytes each: 33 KB although the string is short.
  assert.deepEqual(
    fields({ type: 'track', userId: 'u', event: 'e', properties: { t: '€'.repeat(11 * 1024) } }),
    ['$'],
  );
  assert.ok(
    run({ type: 'track', userId: 'u', event: 'e', properties: { t: '€'.repeat(10 * 1024) } }).ok,
  );
  assert.ok(
    run({ type: 'track', userId: 'u', event: 'e', properties: { t: 'x'.repeat(31 * 1024) } }).ok,
  );
  assert.deepEqual(
    normalizeEvent({ type: 'track', userId: 'u', event: 'e' }, request, limits, ids, 40_000).ok,
    false,
  );
});
