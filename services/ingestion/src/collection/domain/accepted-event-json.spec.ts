import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { acceptedEventJson, requestJson } from './accepted-event-json';
import { locateBatchEvents, locateSingleEvent, RAW_SLOT, type RawEventsText } from './raw-json';
import { normalizeEvent, type RequestContext } from './segment-event';

const limits = { maxEventBytes: 32 * 1024, maxDepth: 32 };
const receivedAtMs = Date.UTC(2025, 2, 1, 12, 0, 0);
const request: RequestContext = {
  workspaceId: 'ws_1',
  sourceId: 'src_1',
  writeKeyId: 'wk_1',
  receivedAtMs,
  receivedAt: new Date(receivedAtMs).toISOString(),
};
let counter = 0;
const newId = () => `generated-${counter++}`;

/**
 * What the collection path publishes for each call of `body` (a JSON text): the events
 * normalised from JSON.parse, written with and without the body's raw text.
 */
function both(text: string, r: RequestContext = request) {
  const parsed = JSON.parse(text) as { batch: unknown[] };
  const located = locateBatchEvents(text, false, parsed.batch.length);
  const json = requestJson(r);
  return parsed.batch.flatMap((call, index) => {
    const result = normalizeEvent(call, r, limits, newId);
    if (!result.ok) return [];
    const origin =
      located === undefined
        ? undefined
        : { call: call as Record<string, unknown>, text: located, index };
    return [
      {
        event: result.event,
        fast: acceptedEventJson(result.event, json, origin),
        plain: JSON.stringify(result.event),
        located,
      },
    ];
  });
}

test('an event written from the raw body is the text JSON.stringify writes for it', () => {
  const body = {
    sentAt: '2025-03-01T11:59:59.000Z',
    batch: [
      {
        type: 'track',
        messageId: 'm-1',
        anonymousId: 'a-1',
        userId: 'u-1',
        event: 'Order Completed',
        properties: { total: 10.5, items: [{ sku: 'x', qty: 2 }], note: 'é "quoted" \\ \n' },
        context: { library: { name: 'analytics-node', version: '2.3.0' }, ip: '203.0.113.1' },
        integrations: { All: true },
        timestamp: '2025-03-01T11:59:58.000Z',
        channel: 'server',
        _metadata: { bundled: [] },
      },
      { type: 'identify', userId: 7, traits: { plan: 'pro' } },
      {
        type: 'page',
        anonymousId: 'a',
        name: 'Home',
        category: 'Docs',
        originalTimestamp: null,
        timestamp: '2025-03-01T11:00:00Z',
      },
      { type: 'group', userId: 'u', groupId: 'g', traits: {} },
      { type: 'alias', userId: 'u', previousId: 'p', sentAt: '2025-03-01T11:59:59.500Z' },
    ],
  };
  const events = both(JSON.stringify(body));
  assert.equal(events.length, 5);
  for (const { fast, plain, located } of events) {
    assert.ok(located, 'the body was located');
    assert.equal(fast, plain);
  }
});

test('values are copied as sent (escapes, number notation, whitespace) and parse to the same event', () => {
  const text = `{ "batch" : [ {
    "type" : "track", "messageId": "m\\u002d1", "userId" : "u",
    "event" : "Caf\\u00e9 \\/ Bar",
    "properties" : { "n" : 1.50, "e": 1E2, "s": "\\ud83d\\ude00" } ,
    "context" : {"a" : [ 1 , 2 ] }
  } ] , "sentAt" : "2025-03-01T11:59:59.000Z" }`;
  const [one] = both(text);
  assert.ok(one?.located);
  assert.ok(one.fast.includes('"properties":{ "n" : 1.50, "e": 1E2, "s": "\\ud83d\\ude00" }'));
  assert.deepEqual(JSON.parse(one.fast), JSON.parse(one.plain));
});

test('computed values are written, not copied: numeric ids, generated messageId, merged batch context, batch sentAt', () => {
  const text = JSON.stringify({
    context: { app: 'shop' },
    sentAt: '2025-03-01T11:59:59.000Z',
    batch: [
      {
        type: 'track',
        userId: 42,
        event: 'e',
        context: { ip: '1.2.3.4' },
        timestamp: '2025-03-01T11:59:58.000Z',
      },
    ],
  });
  const parsed = JSON.parse(text) as { batch: unknown[] };
  const r: RequestContext = {
    ...request,
    batchContext: { app: 'shop' },
    batchSentAtMs: Date.parse('2025-03-01T11:59:59.000Z'),
    batchSentAt: '2025-03-01T11:59:59.000Z',
  };
  const [one] = both(text, r);
  assert.ok(one);
  assert.equal(one.fast, one.plain);
  const written = JSON.parse(one.fast) as Record<string, unknown>;
  assert.equal(written.userId, '42');
  assert.deepEqual(written.context, { app: 'shop', ip: '1.2.3.4' });
  assert.equal(written.sentAt, '2025-03-01T11:59:59.000Z');
  assert.match(String(written.messageId), /^generated-/);
  assert.equal(parsed.batch.length, 1);
});

test('the last of duplicate keys wins, as in JSON.parse, also when written with escapes', () => {
  const text =
    '{"batch":[{"type":"track","userId":"first","event":"e","user\\u0049d":"second","properties":{"a":1},"properties":{"b":2}}]}';
  const [one] = both(text);
  assert.ok(one?.located);
  assert.equal(one.event.userId, 'second');
  assert.equal(one.fast, one.plain);
});

test('a batch with the `batch` key twice locates the last one', () => {
  const text =
    '{"batch":[{"type":"track","userId":"x","event":"old"}],"batch":[{"type":"track","userId":"y","event":"new"},{"type":"identify","userId":"z"}]}';
  const events = both(text);
  assert.equal(events.length, 2);
  for (const e of events) assert.equal(e.fast, e.plain);
});

test('bodies the scanner cannot map give up (the caller serialises instead)', () => {
  assert.equal(locateBatchEvents('{"batch":[1,{"type":"track"}]}', true, 2), undefined);
  assert.equal(locateBatchEvents('{"batch":{"a":1}}', true, 1), undefined);
  assert.equal(locateBatchEvents('{"other":[{"a":1}]}', true, 1), undefined);
  assert.equal(locateBatchEvents('{"batch":[{"a":1}]}', true, 2), undefined);
  assert.equal(locateBatchEvents('{"batch":[{"a":"unterminated}]}', true, 1), undefined);
});

test('a single call is located in the body itself', () => {
  const text = '{"writeKey":"wk_x","userId":"u","event":"Signed Up","properties":{"plan":"pro"}}';
  const located = locateSingleEvent(text, true) as RawEventsText;
  assert.equal(located.slice(0, RAW_SLOT.userId), '"u"');
  assert.equal(located.slice(0, RAW_SLOT.properties), '{"plan":"pro"}');
  assert.equal(located.slice(0, RAW_SLOT.traits), undefined);
  assert.equal(located.slice(1, RAW_SLOT.userId), undefined);
});

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const call = fc.record(
  {
    type: fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias', 'bogus'),
    messageId: fc.oneof(fc.string(), fc.integer()),
    userId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    anonymousId: fc.string(),
    previousId: fc.string(),
    groupId: fc.string(),
    event: fc.string(),
    name: fc.string(),
    category: fc.string(),
    properties: fc.oneof(fc.dictionary(fc.string(), jsonValue), jsonValue),
    traits: fc.dictionary(fc.string(), jsonValue),
    context: fc.dictionary(fc.string(), jsonValue),
    integrations: fc.dictionary(fc.string(), jsonValue),
    timestamp: fc.oneof(
      fc
        .date({ min: new Date('1950-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.string(),
    ),
    originalTimestamp: fc.oneof(fc.constant(null), fc.constant('2024-01-01T00:00:00Z')),
    sentAt: fc.constant('2024-01-01T00:00:01.000Z'),
    extra: jsonValue,
  },
  { requiredKeys: [] },
);

test('property: for any batch, the raw-text JSON is exactly JSON.stringify of the event (compact bodies)', () => {
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(call, { maxLength: 5 }), (batch) => {
      for (const { fast, plain, located } of both(JSON.stringify({ batch }))) {
        assert.ok(located);
        assert.equal(fast, plain);
        accepted++;
      }
    }),
    { numRuns: 300 },
  );
  assert.ok(accepted > 50, `only ${accepted} generated calls were valid events`);
});

test('property: for any batch, indented or not, the raw-text JSON parses to the same event', () => {
  fc.assert(
    fc.property(fc.array(call, { maxLength: 5 }), fc.constantFrom(1, 2, '\t'), (batch, indent) => {
      for (const { fast, plain, located } of both(JSON.stringify({ batch }, null, indent))) {
        assert.ok(located);
        assert.deepEqual(JSON.parse(fast), JSON.parse(plain));
      }
    }),
    { numRuns: 300 },
  );
});
