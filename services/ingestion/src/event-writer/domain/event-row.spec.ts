import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AcceptedEvent } from '../../events/domain/accepted-event';
import { keyOf, toClickHouseDateTime, toEventRow } from './event-row';

void test('ISO instants become ClickHouse DateTime64(3) text in UTC', () => {
  assert.equal(toClickHouseDateTime('2024-05-01T10:11:12.345Z'), '2024-05-01 10:11:12.345');
  assert.equal(toClickHouseDateTime('2024-05-01T12:11:12+02:00'), '2024-05-01 10:11:12.000');
  assert.throws(() => toClickHouseDateTime('yesterday'), RangeError);
  assert.throws(() => toClickHouseDateTime('1800-01-01T00:00:00Z'), RangeError);
  assert.throws(() => toClickHouseDateTime('1899-12-31T23:59:59.999Z'), RangeError);
  assert.throws(() => toClickHouseDateTime('2300-01-01T00:00:00.000Z'), RangeError);
  // the fast path (canonical text) agrees with Date on edge days
  assert.equal(toClickHouseDateTime('2024-02-29T23:59:59.999Z'), '2024-02-29 23:59:59.999');
  assert.equal(toClickHouseDateTime('2025-02-29T00:00:00.000Z'), '2025-03-01 00:00:00.000');
  assert.throws(() => toClickHouseDateTime('2025-13-01T00:00:00.000Z'), RangeError);
});

void test('raw keeps the event as consumed; string columns get lone surrogates replaced', () => {
  const event: AcceptedEvent = {
    type: 'track',
    messageId: 'm-\ud800',
    workspaceId: 'ws',
    sourceId: 'src',
    writeKeyId: 'wk',
    event: 'E\udc00',
    properties: { coupon: null, empty: {}, 'a.b': 1, a: { b: 2 }, text: '\ud800x' },
    timestamp: '2024-05-01T10:11:12.345Z',
    receivedAt: '2024-05-01T10:11:13.000Z',
  };
  const row = toEventRow(event);
  assert.equal(row.message_id, 'm-\ufffd');
  assert.equal(row.event, 'E\ufffd');
  assert.deepEqual(JSON.parse(row.raw), event);
  assert.match(row.raw, /"coupon":null,"empty":\{\},"a.b":1,"a":\{"b":2\},"text":"\\ud800x"/);
});

void test('an accepted event maps to a row with every field, absent ones empty', () => {
  const event: AcceptedEvent = {
    type: 'track',
    messageId: 'm-1',
    workspaceId: 'ws',
    sourceId: 'src',
    writeKeyId: 'wk',
    anonymousId: 'anon',
    event: 'Order Completed',
    properties: { total: 10.5, items: [{ sku: 'a' }] },
    context: { ip: '1.2.3.4' },
    integrations: { All: false },
    timestamp: '2024-05-01T10:11:12.345Z',
    receivedAt: '2024-05-01T10:11:13.000Z',
    sentAt: '2024-05-01T10:11:12.900Z',
    violations: [{ path: 'properties.total', message: 'must be integer' }],
  };
  const row = toEventRow(event);
  assert.deepEqual(row, {
    workspace_id: 'ws',
    message_id: 'm-1',
    type: 'track',
    event: 'Order Completed',
    name: '',
    category: '',
    anonymous_id: 'anon',
    user_id: '',
    group_id: '',
    previous_id: '',
    source_id: 'src',
    write_key_id: 'wk',
    timestamp: '2024-05-01 10:11:12.345',
    original_timestamp: null,
    sent_at: '2024-05-01 10:11:12.900',
    received_at: '2024-05-01 10:11:13.000',
    properties: { total: 10.5, items: [{ sku: 'a' }] },
    traits: {},
    context: { ip: '1.2.3.4' },
    integrations: '{"All":false}',
    violations: [{ path: 'properties.total', message: 'must be integer' }],
    raw: JSON.stringify(event),
  });
  assert.notEqual(keyOf(row), keyOf({ workspace_id: 'ws2', message_id: 'm-1' }));
});
